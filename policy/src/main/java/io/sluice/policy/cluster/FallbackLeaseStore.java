package io.sluice.policy.cluster;

import io.sluice.config.ClusterConfig.OnUnavailable;
import io.sluice.policy.ratelimit.Lease;
import io.sluice.policy.ratelimit.LeaseStore;
import io.sluice.policy.ratelimit.LocalLeaseStore;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The cluster's session counts while the cluster answers in time, and otherwise what {@link OnUnavailable}
 * says: this node's share of each maximum counted locally, admit everything, or refuse everything.
 */
public final class FallbackLeaseStore implements LeaseStore {

    private static final Lease UNCOUNTED = () -> { };

    private final LeaseStore cluster;
    private final LocalLeaseStore local;
    private final ClusterHealth health;
    private final OnUnavailable onUnavailable;

    public FallbackLeaseStore(LeaseStore cluster, LocalLeaseStore local, ClusterHealth health,
                              OnUnavailable onUnavailable) {
        this.cluster = cluster;
        this.local = local;
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
            return switch (onUnavailable) {
                case LOCAL_FALLBACK -> local.acquire(key, Math.max(1, max / health.lastKnownMembers()));
                case FAIL_OPEN -> CompletableFuture.completedFuture(Optional.of(UNCOUNTED));
                case FAIL_CLOSED -> CompletableFuture.completedFuture(Optional.empty());
            };
        });
    }

    @Override
    public CompletableFuture<Integer> held(String key) {
        return health.call(() -> cluster.held(key), () -> local.held(key));
    }
}
