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
    protected Bounded newBoundedLimiter(ManualClock clock, int maxBuckets) {
        LocalRateLimiter limiter = new LocalRateLimiter(clock, maxBuckets);
        return new Bounded(limiter, limiter::size, () -> {});
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

    /**
     * The bound evicts the least recently used bucket: a sender that keeps sending through a flood keeps its bucket
     * (and its debt), while one that went quiet is forgotten and starts full again, which is the price of the bound.
     */
    @Test
    void aFloodEvictsTheLeastRecentlyUsedBuckets() throws Exception {
        try (Bounded bounded = newBoundedLimiter(ManualClock.monotonic(), 1_000)) {
            RateLimiter limiter = bounded.limiter();
            get(limiter.tryConsume("regular@sender.example", PER_SENDER, 10));
            get(limiter.tryConsume("quiet@sender.example", PER_SENDER, 10));

            // The regular sender goes on sending, and goes on being refused.
            flood(bounded, "", 5_000, () -> assertThat(
                    get(limiter.tryConsume("regular@sender.example", PER_SENDER, 1)).consumed()).isFalse());

            assertThat(bounded.buckets()).isEqualTo(1_000);
            assertThat(get(limiter.available("regular@sender.example", PER_SENDER))).isZero();
            assertThat(get(limiter.available("quiet@sender.example", PER_SENDER))).isEqualTo(10);
        }
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
