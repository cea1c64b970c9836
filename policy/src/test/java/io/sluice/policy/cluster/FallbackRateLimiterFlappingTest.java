package io.sluice.policy.cluster;

import io.sluice.config.ClusterConfig.OnUnavailable;
import io.sluice.policy.ratelimit.LocalRateLimiter;
import io.sluice.policy.ratelimit.ManualClock;
import io.sluice.policy.ratelimit.RateLimiter;
import io.sluice.policy.ratelimit.RateLimiterContract;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * The fallback limiter of a node whose cluster fails and answers again between every two calls: each call is
 * answered by the other side than the one before, the share mirroring the cluster's grants and the cluster
 * charged with the share's at each recovery.
 */
class FallbackRateLimiterFlappingTest extends RateLimiterContract {

    @Override
    protected RateLimiter newLimiter(ManualClock clock) {
        return new Flapping(new FakeCluster(clock), new LocalRateLimiter(clock));
    }

    @Override
    protected Bounded newBoundedLimiter(ManualClock clock, int maxBuckets) {
        LocalRateLimiter local = new LocalRateLimiter(clock, maxBuckets);
        return new Bounded(new Flapping(new FakeCluster(clock), local), local::size, () -> {});
    }

    /** A fallback limiter, its cluster failing before one call and recovering before the next. */
    private static final class Flapping extends ForwardingRateLimiter {

        private final FakeCluster cluster;
        private final ClusterHealth health;

        Flapping(FakeCluster cluster, LocalRateLimiter local) {
            this(cluster, local, new ClusterHealth(Duration.ofSeconds(10), 1));
        }

        private Flapping(FakeCluster cluster, LocalRateLimiter local, ClusterHealth health) {
            super(new FallbackRateLimiter(cluster, local, health, OnUnavailable.LOCAL_FALLBACK));
            this.cluster = cluster;
            this.health = health;
        }

        @Override
        <T> CompletableFuture<T> call(Supplier<CompletableFuture<T>> call) {
            if (health.degraded()) {
                cluster.answer();
                health.probe(() -> CompletableFuture.completedFuture(0));
            } else {
                // The call itself finds the cluster failing and starts the episode.
                cluster.fail();
            }
            return call.get();
        }
    }
}
