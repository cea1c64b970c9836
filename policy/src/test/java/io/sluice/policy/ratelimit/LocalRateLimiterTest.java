package io.sluice.policy.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.config.BucketSync;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class LocalRateLimiterTest extends RateLimiterContract {

    @Override
    protected RateLimiter newLimiter(ManualClock clock) {
        return new LocalRateLimiter(clock);
    }

    @Override
    protected ManualClock newClock() {
        return ManualClock.monotonic();
    }

    @Test
    void answersAreCompleteAtOnce() {
        LocalRateLimiter limiter = new LocalRateLimiter(ManualClock.monotonic());

        assertThat(limiter.tryConsume("k", TEN_PER_SECOND, 1)).isCompleted();
        assertThat(limiter.charge("k", TEN_PER_SECOND, 1)).isCompleted();
        assertThat(limiter.refund("k", TEN_PER_SECOND, 1)).isCompleted();
    }

    @Test
    void changedSpecStartsAFreshBucket() {
        LocalRateLimiter limiter = new LocalRateLimiter(ManualClock.monotonic());
        BucketSpec half = TEN_PER_SECOND.shareOf(2);
        get(limiter.tryConsume("k", TEN_PER_SECOND, 10));

        assertThat(get(limiter.available("k", half))).isEqualTo(5);
    }

    @Test
    void evictionDropsOnlyFullBuckets() {
        ManualClock clock = ManualClock.monotonic();
        LocalRateLimiter limiter = new LocalRateLimiter(clock);
        get(limiter.tryConsume("full", TEN_PER_SECOND, 1));
        get(limiter.tryConsume("busy", new BucketSpec(10, 1, Duration.ofHours(1), BucketSync.EXACT), 1));

        clock.advance(Duration.ofSeconds(1));
        limiter.evictFull();

        assertThat(limiter.size()).isEqualTo(1);
        assertThat(get(limiter.available("busy", new BucketSpec(10, 1, Duration.ofHours(1), BucketSync.EXACT))))
                .as("the bucket kept its state").isEqualTo(9);
    }
}
