package io.sluice.policy.cluster;

import io.sluice.config.ClusterConfig.OnUnavailable;
import io.sluice.policy.ratelimit.Lease;
import io.sluice.policy.ratelimit.LeaseStore;
import io.sluice.policy.ratelimit.LeaseStoreContract;
import io.sluice.policy.ratelimit.LocalLeaseStore;
import io.sluice.policy.ratelimit.ManualClock;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The fallback lease store of a node whose cluster fails and answers again between every two calls: leases taken
 * on one side are counted on the other.
 */
class FallbackLeaseStoreFlappingTest extends LeaseStoreContract {

    @Override
    protected LeaseStore newStore(ManualClock clock) {
        return new Flapping();
    }

    /** A fallback lease store, its cluster failing before one call and recovering before the next. */
    private static final class Flapping implements LeaseStore {

        private final FakeClusterLeases cluster = new FakeClusterLeases();
        private final ClusterFlaps flaps = new ClusterFlaps(cluster::fail, cluster::answer);
        private final LeaseStore leases = new FallbackLeaseStore(cluster, new LocalLeaseStore(), flaps.health,
                OnUnavailable.LOCAL_FALLBACK);

        @Override
        public CompletableFuture<Optional<Lease>> acquire(String key, int max) {
            return flaps.next(() -> leases.acquire(key, max));
        }

        @Override
        public CompletableFuture<Integer> held(String key) {
            return flaps.next(() -> leases.held(key));
        }
    }
}
