package io.sluice.policy.cluster;

import io.sluice.config.ClusterConfig.OnUnavailable;
import io.sluice.policy.ratelimit.Lease;
import io.sluice.policy.ratelimit.LeaseStore;
import io.sluice.policy.ratelimit.LocalLeaseStore;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The cluster's session counts while the cluster answers in time, and otherwise what {@link OnUnavailable}
 * says: this node's share of each maximum counted locally, admit everything, or refuse everything.
 *
 * <p>With the local fallback, a switch between the two must not free slots this node holds, or every episode
 * would admit a fresh share on top of the sessions already open. So both ways are counted: what the cluster grants
 * this node is counted in its local share too, so an episode starts from the sessions this node has; and what the
 * share grants during an episode is told to the cluster when it answers again, and held there until released.
 */
public final class FallbackLeaseStore implements LeaseStore {

    private static final Lease UNCOUNTED = () -> { };
    // Bounds the episode's slots kept to tell the cluster of; beyond it the cluster undercounts them until released.
    private static final int MAX_UNTOLD = 100_000;

    private final LeaseStore cluster;
    private final LocalLeaseStore local;
    private final ClusterHealth health;
    private final OnUnavailable onUnavailable;
    private final Set<EpisodeLease> untold = ConcurrentHashMap.newKeySet();

    public FallbackLeaseStore(LeaseStore cluster, LocalLeaseStore local, ClusterHealth health,
                              OnUnavailable onUnavailable) {
        this.cluster = cluster;
        this.local = local;
        this.health = health;
        this.onUnavailable = onUnavailable;
        health.onRecovery(this::tellCluster);
    }

    @Override
    public CompletableFuture<Optional<Lease>> acquire(String key, int max) {
        AtomicReference<CompletableFuture<Optional<Lease>>> sent = new AtomicReference<>();
        return health.call(() -> {
            sent.set(cluster.acquire(key, max).thenApply(granted -> granted.map(lease -> countedLocally(key, lease))));
            return sent.get();
        }, () -> {
            if (sent.get() != null) {
                // A grant that arrives after the deadline would hold a slot nobody uses: give it back.
                sent.get().thenAccept(late -> late.ifPresent(Lease::release));
            }
            return switch (onUnavailable) {
                case LOCAL_FALLBACK -> local.acquire(key, Math.max(1, max / health.lastKnownMembers()))
                        .thenApply(granted -> granted.map(slot -> new EpisodeLease(key, slot)));
                case FAIL_OPEN -> CompletableFuture.completedFuture(Optional.of(UNCOUNTED));
                case FAIL_CLOSED -> CompletableFuture.completedFuture(Optional.empty());
            };
        });
    }

    @Override
    public CompletableFuture<Integer> held(String key) {
        return health.call(() -> cluster.held(key), () -> local.held(key));
    }

    private Lease countedLocally(String key, Lease granted) {
        if (onUnavailable != OnUnavailable.LOCAL_FALLBACK) {
            return granted;
        }
        Lease slot = local.hold(key);
        return Lease.releasedBy(() -> {
            granted.release();
            slot.release();
        });
    }

    /** Tells the cluster of the slots the share granted during the episode that just ended. */
    private void tellCluster() {
        untold.forEach(lease -> {
            if (untold.remove(lease)) {
                lease.tellCluster();
            }
        });
    }

    /** A slot the share granted during an episode; the cluster counts it too once it answers again. */
    private final class EpisodeLease implements Lease {

        private final String key;
        private final Lease slot;
        private final AtomicBoolean released = new AtomicBoolean();
        // The cluster's slot once told, or the lease itself once released.
        private final AtomicReference<Lease> told = new AtomicReference<>();

        EpisodeLease(String key, Lease slot) {
            this.key = key;
            this.slot = slot;
            if (untold.size() < MAX_UNTOLD) {
                untold.add(this);
            }
        }

        @Override
        public void release() {
            if (released.compareAndSet(false, true)) {
                untold.remove(this);
                slot.release();
                Lease clusterSlot = told.getAndSet(this);
                if (clusterSlot != null) {
                    clusterSlot.release();
                }
            }
        }

        void tellCluster() {
            // The slot is open already: the cluster counts it whatever the maximum.
            cluster.acquire(key, Integer.MAX_VALUE).whenComplete((granted, error) -> {
                if (error != null || granted.isEmpty()) {
                    if (!released.get()) {
                        untold.add(this);
                    }
                } else if (!told.compareAndSet(null, granted.get())) {
                    granted.get().release();
                }
            });
        }
    }
}
