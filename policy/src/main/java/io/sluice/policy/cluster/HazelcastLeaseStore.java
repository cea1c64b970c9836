package io.sluice.policy.cluster;

import com.hazelcast.map.IMap;
import io.github.bucket4j.TimeMeter;
import io.sluice.policy.ratelimit.Lease;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntSupplier;

/**
 * Session slots counted across the cluster in a Hazelcast map, per key and per node. What the cluster counts for a
 * node is its reservation: the slots its sessions hold and a few spare ones, which it grants without asking the
 * cluster ({@link SlotReserve}). The reservations of all nodes never add up to more than the maximum. This node
 * restates its reservations every third of the lease time ({@link #renew()}), dropping spare it did not use; the
 * reservation of a node that stops doing so expires, and this node grants nothing more from it.
 */
public final class HazelcastLeaseStore implements ReservingLeaseStore {

    static final String MAP = "sluice-leases";

    private final IMap<String, LeaseHolders> map;
    private final String node;
    private final IntSupplier members;
    private final long ttlMillis;
    private final TimeMeter clock;
    private final Map<String, SlotReserve<CompletableFuture<Optional<Lease>>>> reserves = new ConcurrentHashMap<>();

    public HazelcastLeaseStore(ClusterNode cluster, Duration ttl, TimeMeter wallClock) {
        this(cluster, cluster.nodeId(), ttl, wallClock);
    }

    /** A store that counts as node {@code node} (tests: two nodes on one member). */
    HazelcastLeaseStore(ClusterNode cluster, String node, Duration ttl, TimeMeter wallClock) {
        this.map = cluster.hazelcast().getMap(MAP);
        this.node = node;
        this.members = cluster::memberCount;
        this.ttlMillis = ttl.toMillis();
        this.clock = wallClock;
    }

    @Override
    public CompletableFuture<Optional<Lease>> acquire(String key, int max) {
        while (true) {
            SlotReserve<CompletableFuture<Optional<Lease>>> reserve = reserves.computeIfAbsent(key,
                    k -> new SlotReserve<>(this::now, ttlMillis));
            CompletableFuture<Optional<Lease>> answer;
            Optional<SlotReserve.Request> request;
            synchronized (reserve) {
                if (reserve.retired()) {
                    continue;
                }
                if (reserve.takeLocally(max)) {
                    return CompletableFuture.completedFuture(Optional.of(leaseOf(key, reserve)));
                }
                answer = new CompletableFuture<>();
                request = reserve.await(answer, max);
            }
            request.ifPresent(sent -> send(key, reserve, sent));
            return answer;
        }
    }

    @Override
    public Optional<Lease> acquireReserved(String key, int max) {
        SlotReserve<CompletableFuture<Optional<Lease>>> reserve = reserves.get(key);
        if (reserve == null) {
            return Optional.empty();
        }
        synchronized (reserve) {
            // A retired reserve is idle: it has nothing to grant.
            return reserve.takeReserved(max) ? Optional.of(leaseOf(key, reserve)) : Optional.empty();
        }
    }

    @Override
    public int heldHere(String key) {
        SlotReserve<?> reserve = reserves.get(key);
        if (reserve == null) {
            return 0;
        }
        synchronized (reserve) {
            return (int) Math.min(Integer.MAX_VALUE, reserve.used());
        }
    }

    /**
     * Sessions holding a slot of the key: this node's as they are, other nodes' as they last told the cluster (at
     * most a renewal period ago); none of a node whose lease expired.
     */
    @Override
    public CompletableFuture<Integer> held(String key) {
        long now = now();
        return map.getAsync(key).toCompletableFuture().thenApply(holders -> {
            if (holders == null) {
                return 0;
            }
            return (int) Math.min(Integer.MAX_VALUE, holders.used(now, node, heldHere(key)));
        });
    }

    /** Restates this node's reservation of every key it holds, extending its leases by one lease time. */
    public void renew() {
        reserves.forEach((key, reserve) -> {
            Optional<SlotReserve.Request> request;
            synchronized (reserve) {
                request = reserve.renew();
            }
            request.ifPresent(sent -> send(key, reserve, sent));
        });
    }

    /** Keys this node keeps a reservation of (tests). */
    Set<String> keys() {
        return Set.copyOf(reserves.keySet());
    }

    /** Whether a request of this node for the key is in flight (tests). */
    boolean busy(String key) {
        SlotReserve<?> reserve = reserves.get(key);
        if (reserve == null) {
            return false;
        }
        synchronized (reserve) {
            return reserve.busy();
        }
    }

    private Lease leaseOf(String key, SlotReserve<CompletableFuture<Optional<Lease>>> reserve) {
        return Lease.releasedBy(() -> {
            SlotReserve.Outcome<CompletableFuture<Optional<Lease>>> outcome;
            synchronized (reserve) {
                outcome = reserve.release();
            }
            carryOut(key, reserve, outcome);
        });
    }

    private void send(String key, SlotReserve<CompletableFuture<Optional<Lease>>> reserve,
                      SlotReserve.Request request) {
        long now = request.atMillis();
        LeaseUpdate update = request.kind() == LeaseUpdate.Kind.GROW
                ? LeaseUpdate.grow(node, request.used(), request.amount(), request.max(), request.spareCap(),
                        members.getAsInt(), now, ttlMillis)
                : LeaseUpdate.set(node, request.used(), request.amount(), request.max(), now, ttlMillis);
        ClusterAnswers.plain(map.submitToKey(key, update)).whenComplete((answer, error) -> {
            SlotReserve.Outcome<CompletableFuture<Optional<Lease>>> outcome;
            synchronized (reserve) {
                // A lost give back or renewal is repaired by the next renewal, or by the lease's expiry.
                outcome = error == null ? reserve.answered(request, answer, members.getAsInt())
                        : reserve.failed(request);
                if (reserve.idle()) {
                    reserve.retire();
                    reserves.remove(key, reserve);
                }
            }
            if (error != null) {
                IllegalStateException failure = new IllegalStateException("lease " + key + ": " + error, error);
                outcome.failed().forEach(waiter -> waiter.completeExceptionally(failure));
            }
            carryOut(key, reserve, outcome);
        });
    }

    private void carryOut(String key, SlotReserve<CompletableFuture<Optional<Lease>>> reserve,
                          SlotReserve.Outcome<CompletableFuture<Optional<Lease>>> outcome) {
        outcome.next().ifPresent(request -> send(key, reserve, request));
        outcome.granted().forEach(waiter -> waiter.complete(Optional.of(leaseOf(key, reserve))));
        outcome.refused().forEach(waiter -> waiter.complete(Optional.empty()));
    }

    private long now() {
        return clock.currentTimeNanos() / 1_000_000;
    }
}
