package io.sluice.policy.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.config.ClusterConfig.OnUnavailable;
import io.sluice.policy.ratelimit.BucketSpec;
import io.sluice.policy.ratelimit.LocalRateLimiter;
import io.sluice.policy.ratelimit.ManualClock;
import io.sluice.policy.ratelimit.Probe;
import io.sluice.policy.ratelimit.RateLimiter;
import io.sluice.policy.ratelimit.RateLimiterContract;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The fallback limiter of one node in three during an episode: the contract's bucket is this node's third of a
 * cluster-wide limit three times its size, so the run proves the share is a whole bucket of its own, exactly a
 * third, with the same answers.
 */
class FallbackRateLimiterDegradedTest extends RateLimiterContract {

    private static final int NODES = 3;

    @Override
    protected RateLimiter newLimiter(ManualClock clock) {
        return inAnEpisode(new LocalRateLimiter(clock), clock);
    }

    // Only the share holds buckets during an episode; the cluster is not asked.
    @Override
    protected Bounded newBoundedLimiter(ManualClock clock, int maxBuckets) {
        LocalRateLimiter local = new LocalRateLimiter(clock, maxBuckets);
        return new Bounded(inAnEpisode(local, clock), local::size, () -> {});
    }

    @Test
    void theContractsBucketIsAThirdOfTheClusterWideLimit() {
        assertThat(TEN_PER_SECOND.scaled(NODES).shareOf(NODES)).isEqualTo(TEN_PER_SECOND);
    }

    private static RateLimiter inAnEpisode(LocalRateLimiter local, ManualClock clock) {
        FakeCluster cluster = new FakeCluster(clock);
        ClusterHealth health = new ClusterHealth(Duration.ofSeconds(10), 1);
        health.membersChanged(NODES);
        RateLimiter limiter = new FallbackRateLimiter(cluster, local, health, OnUnavailable.LOCAL_FALLBACK);
        cluster.fail();
        get(limiter.available("episode-start", TEN_PER_SECOND));
        assertThat(health.degraded()).isTrue();
        return new ClusterWide(limiter);
    }

    /** Asks the limiter for the cluster-wide limit of which each bucket the contract names is one node's share. */
    private static final class ClusterWide extends ForwardingRateLimiter {

        ClusterWide(RateLimiter limiter) {
            super(limiter);
        }

        @Override
        BucketSpec spec(BucketSpec share) {
            return share.scaled(NODES);
        }

        // The limiter tells what is left as of the cluster-wide bucket (the share's scaled up); the contract's bucket
        // is the share.
        @Override
        public CompletableFuture<Probe> tryConsume(String key, BucketSpec spec, long tokens) {
            return super.tryConsume(key, spec, tokens).thenApply(probe ->
                    new Probe(probe.consumed(), probe.remaining() / NODES, probe.nanosToWait()));
        }
    }
}
