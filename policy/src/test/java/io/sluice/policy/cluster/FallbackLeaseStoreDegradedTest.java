package io.sluice.policy.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.config.ClusterConfig.OnUnavailable;
import io.sluice.policy.ratelimit.Lease;
import io.sluice.policy.ratelimit.LeaseStore;
import io.sluice.policy.ratelimit.LeaseStoreContract;
import io.sluice.policy.ratelimit.LocalLeaseStore;
import io.sluice.policy.ratelimit.ManualClock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The fallback lease store of one node in three during an episode: each maximum the contract names is this node's
 * third of a cluster-wide maximum three times as large.
 */
class FallbackLeaseStoreDegradedTest extends LeaseStoreContract {

    private static final int NODES = 3;

    @Override
    protected LeaseStore newStore(ManualClock clock) {
        FakeClusterLeases cluster = new FakeClusterLeases();
        ClusterHealth health = new ClusterHealth(Duration.ofSeconds(10), 1);
        health.membersChanged(NODES);
        LeaseStore leases = new FallbackLeaseStore(cluster, new LocalLeaseStore(), health,
                OnUnavailable.LOCAL_FALLBACK);
        cluster.fail();
        get(leases.held("episode-start"));
        assertThat(health.degraded()).isTrue();
        return new ClusterWide(leases);
    }

    /** Asks the store for the cluster-wide maximum of which each maximum the contract names is one node's share. */
    private record ClusterWide(LeaseStore leases) implements LeaseStore {

        @Override
        public CompletableFuture<Optional<Lease>> acquire(String key, int max) {
            return leases.acquire(key, max * NODES);
        }

        @Override
        public CompletableFuture<Integer> held(String key) {
            return leases.held(key);
        }
    }
}
