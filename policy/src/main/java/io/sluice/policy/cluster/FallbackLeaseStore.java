package io.sluice.policy.cluster;

import io.sluice.config.ClusterConfig.OnUnavailable;
import io.sluice.policy.ratelimit.Lease;
import io.sluice.policy.ratelimit.LeaseStore;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The cluster's session counts while the cluster answers in time, and otherwise what {@link OnUnavailable} says:
 * the slots the cluster reserved for this node, admit everything, or refuse everything.
 *
 * <p>With the local fallback a node grants only from its reservation: slots the cluster counts for this node and so
 * keeps from the others, as long as it surely keeps them ({@link SlotReserve}). So a node in an episode never grants a
 * slot the cluster may give to another node, whether the others reach the cluster or not: the sessions of all nodes
 * stay within each maximum, unless an episode outlasts the lease time (the cluster then forgets the node's sessions,
 * as a dead node's, until its next request states them). A slot released during an episode goes back to the
 * reservation, for the next session; the cluster hears of it at the next renewal that gets through.
 */
public final class FallbackLeaseStore implements LeaseStore {

    private static final Lease UNCOUNTED = () -> { };

    private final ReservingLeaseStore cluster;
    private final ClusterHealth health;
    private final OnUnavailable onUnavailable;

    FallbackLeaseStore(ReservingLeaseStore cluster, ClusterHealth health, OnUnavailable onUnavailable) {
        this.cluster = cluster;
        this.health = health;
        this.onUnavailable = onUnavailable;
    }

    @Override
    public CompletableFuture<Optional<Lease>> acquire(String key, int max) {
        AtomicReference<CompletableFuture<Optional<Lease>>> sent = new AtomicReference<>();
        return health.call(() -> {
            sent.set(cluster.acquire(key, max));
            return sent.get();
        }, () -> {
            if (sent.get() != null) {
                // A grant that arrives after the deadline would hold a slot nobody uses: give it back.
                sent.get().thenAccept(late -> late.ifPresent(Lease::release));
            }
            return CompletableFuture.completedFuture(switch (onUnavailable) {
                case LOCAL_FALLBACK -> cluster.acquireReserved(key, max);
                case FAIL_OPEN -> Optional.of(UNCOUNTED);
                case FAIL_CLOSED -> Optional.empty();
            });
        });
    }

    @Override
    public CompletableFuture<Integer> held(String key) {
        return health.call(() -> cluster.held(key), () -> CompletableFuture.completedFuture(cluster.heldHere(key)));
    }
}
