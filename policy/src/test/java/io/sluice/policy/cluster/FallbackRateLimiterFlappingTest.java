package io.sluice.policy.cluster;

import io.sluice.config.ClusterConfig.OnUnavailable;
import io.sluice.policy.ratelimit.LocalRateLimiter;
import io.sluice.policy.ratelimit.ManualClock;
import io.sluice.policy.ratelimit.RateLimiter;
import io.sluice.policy.ratelimit.RateLimiterContract;
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

        private final ClusterFlaps flaps;

        Flapping(FakeCluster cluster, LocalRateLimiter local) {
            this(cluster, local, new ClusterFlaps(cluster::fail, cluster::answer));
        }

        private Flapping(FakeCluster cluster, LocalRateLimiter local, ClusterFlaps flaps) {
            super(new FallbackRateLimiter(cluster, local, flaps.health, OnUnavailable.LOCAL_FALLBACK));
            this.flaps = flaps;
        }

        @Override
        <T> CompletableFuture<T> call(Supplier<CompletableFuture<T>> call) {
            return flaps.next(call);
        }
    }
}
