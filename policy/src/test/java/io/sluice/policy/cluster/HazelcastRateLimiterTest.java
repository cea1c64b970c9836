package io.sluice.policy.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.config.BucketSync;
import io.sluice.policy.ratelimit.BucketSpec;
import io.sluice.policy.ratelimit.ManualClock;
import io.sluice.policy.ratelimit.RateLimiter;
import io.sluice.policy.ratelimit.RateLimiterContract;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class HazelcastRateLimiterTest extends RateLimiterContract {

    private static ClusterNode node;

    @BeforeAll
    static void startMember() {
        node = ClusterNode.start(TestClusters.standalone(TestClusters.clusterName(HazelcastRateLimiterTest.class),
                Duration.ofSeconds(30)));
    }

    @AfterAll
    static void stopMember() {
        node.close();
    }

    // One node alone gains nothing from an optimization: its local copy of the bucket is the whole truth.
    @ParameterizedTest
    @EnumSource(value = BucketSync.Mode.class, names = "EXACT", mode = EnumSource.Mode.EXCLUDE)
    void optimizedSyncStillAdmitsOnlyTheBurstFromOneNode(BucketSync.Mode mode) {
        ManualClock clock = newClock();
        RateLimiter limiter = newLimiter(clock);
        BucketSpec spec = new BucketSpec(10, 10, Duration.ofSeconds(1), new BucketSync(mode, 3, Duration.ofMillis(50)));
        String key = "sync-" + mode + "-" + UUID.randomUUID();

        assertThat(admitted(limiter, key, spec, 15)).isEqualTo(10);

        clock.advance(Duration.ofSeconds(1));

        // Never more than a second's refill; a delaying copy may hold back a token it has not synchronized yet.
        assertThat(admitted(limiter, key, spec, 15)).as("a second's refill").isBetween(9L, 10L);
    }

    private static long admitted(RateLimiter limiter, String key, BucketSpec spec, int requests) {
        long admitted = 0;
        for (int i = 0; i < requests; i++) {
            admitted += get(limiter.tryConsume(key, spec, 1)).consumed() ? 1 : 0;
        }
        return admitted;
    }

    @Override
    protected RateLimiter newLimiter(ManualClock clock) {
        return new HazelcastRateLimiter(node, Optional.of(clock));
    }

    @Override
    protected ManualClock newClock() {
        return ManualClock.wall();
    }
}
