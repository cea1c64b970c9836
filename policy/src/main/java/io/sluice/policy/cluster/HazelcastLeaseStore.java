package io.sluice.policy.cluster;

import com.hazelcast.map.IMap;
import io.github.bucket4j.TimeMeter;
import io.sluice.policy.cluster.LeaseUpdate.Kind;
import io.sluice.policy.ratelimit.Lease;
import io.sluice.policy.ratelimit.LeaseStore;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Session slots counted across the cluster in a Hazelcast map, per key and per node. This node restates its
 * counts every third of the lease time ({@link #renew()}); slots of a node that stops doing so expire.
 */
public final class HazelcastLeaseStore implements LeaseStore {

    static final String MAP = "sluice-leases";

    private final IMap<String, LeaseHolders> map;
    private final String node;
    private final long ttlMillis;
    private final TimeMeter clock;
    // This node's slots by key: the truth each renewal restates.
    private final Map<String, Integer> mine = new ConcurrentHashMap<>();

    public HazelcastLeaseStore(ClusterNode cluster, Duration ttl, TimeMeter wallClock) {
        this.map = cluster.hazelcast().getMap(MAP);
        this.node = cluster.nodeId();
        this.ttlMillis = ttl.toMillis();
        this.clock = wallClock;
    }

    @Override
    public CompletableFuture<Optional<Lease>> acquire(String key, int max) {
        // Counted before the answer, so a renewal racing with this request cannot drop the slot.
        mine.merge(key, 1, Integer::sum);
        return ClusterAnswers.plain(map.submitToKey(key, new LeaseUpdate(Kind.ACQUIRE, node, max, now(), ttlMillis)))
                .handle((granted, error) -> {
                    if (error != null || !granted) {
                        forget(key);
                    }
                    if (error != null) {
                        throw new IllegalStateException("lease " + key + ": " + error, error);
                    }
                    return granted ? Optional.of(Lease.releasedBy(() -> giveBack(key))) : Optional.<Lease>empty();
                });
    }

    @Override
    public CompletableFuture<Integer> held(String key) {
        long now = now();
        return map.getAsync(key).toCompletableFuture().thenApply(holders -> holders == null ? 0 : holders.live(now));
    }

    /** Restates this node's count of every key it holds, extending its leases by one lease time. */
    public void renew() {
        long now = now();
        mine.forEach((key, count) -> map.submitToKey(key, new LeaseUpdate(Kind.RENEW, node, count, now, ttlMillis)));
    }

    private void giveBack(String key) {
        forget(key);
        // Fire and forget: if it is lost, the next renewal or the lease's expiry repairs the count.
        map.submitToKey(key, new LeaseUpdate(Kind.RELEASE, node, 0, now(), ttlMillis));
    }

    private void forget(String key) {
        mine.computeIfPresent(key, (k, count) -> count <= 1 ? null : count - 1);
    }

    private long now() {
        return clock.currentTimeNanos() / 1_000_000;
    }
}
