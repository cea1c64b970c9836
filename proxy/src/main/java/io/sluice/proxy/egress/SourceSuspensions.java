package io.sluice.proxy.egress;

import static net.logstash.logback.argument.StructuredArguments.kv;

import com.hazelcast.core.EntryEvent;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryRemovedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import io.netty.util.NetUtil;
import io.sluice.policy.cluster.ClusterNode;
import io.sluice.policy.cluster.ClusterSeal;
import io.sluice.policy.cluster.ClusterSeal.Kind;
import java.net.InetAddress;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which egress sources are suspended, kept by the cluster so that suspending a source on one node's admin API
 * takes it out of use on every node: one map entry per suspended source, which every node listens to. A node that
 * joins takes the cluster's suspensions; without a cluster they are this node's alone. They live in the cluster's
 * memory: a whole-cluster restart starts with every source in use. An entry's value is its signature with the cluster
 * secret: one that is not signed suspends nothing, is counted as a forgery and is taken out of the map.
 */
public final class SourceSuspensions {

    static final String MAP = "sluice-suspended-sources";
    private static final Logger log = LoggerFactory.getLogger(SourceSuspensions.class);

    private final EgressPools pools;
    // Values are Objects: whatever a forger put there must reach the check, not fail a cast.
    private final Optional<IMap<String, Object>> map;
    private final Optional<ClusterSeal> seal;
    private final Set<String> suspendedHere = ConcurrentHashMap.newKeySet();

    private SourceSuspensions(EgressPools pools, Optional<IMap<String, Object>> map, Optional<ClusterSeal> seal) {
        this.pools = pools;
        this.map = map;
        this.seal = seal;
    }

    /** Suspensions of this node alone. */
    public static SourceSuspensions alone(EgressPools pools) {
        return new SourceSuspensions(pools, Optional.empty(), Optional.empty());
    }

    /** Suspensions shared by the cluster: this node takes the cluster's now, and follows every change. */
    public static SourceSuspensions in(ClusterNode cluster, EgressPools pools) {
        IMap<String, Object> map = cluster.hazelcast().getMap(MAP);
        SourceSuspensions suspensions = new SourceSuspensions(pools, Optional.of(map), Optional.of(cluster.seal()));
        map.addEntryListener(suspensions.new Listener(), true);
        map.forEach(suspensions::suspendedInCluster);
        return suspensions;
    }

    /**
     * Suspends or resumes a source of a pool, on every node; in force here when the future completes.
     *
     * @return false when the pool has no such source
     */
    public CompletableFuture<Boolean> set(String pool, InetAddress address, boolean suspended) {
        if (pools.pool(pool).filter(found -> found.owns(address)).isEmpty()) {
            return CompletableFuture.completedFuture(false);
        }
        String key = key(pool, address);
        if (map.isEmpty()) {
            apply(key, suspended);
            return CompletableFuture.completedFuture(true);
        }
        CompletableFuture<?> written = suspended
                ? map.get().putAsync(key, seal.orElseThrow().sign(Kind.SUSPENSION, key)).toCompletableFuture()
                : map.get().removeAsync(key).toCompletableFuture();
        return written.thenApply(ignored -> {
            apply(key, suspended);
            return true;
        });
    }

    private static String key(String pool, InetAddress address) {
        return pool + "|" + NetUtil.toAddressString(address);
    }

    private void apply(String key, boolean suspended) {
        int bar = key.lastIndexOf('|');
        InetAddress address = bar < 0 ? null : NetUtil.createInetAddressFromIpAddressString(key.substring(bar + 1));
        Optional<EgressPool> pool = bar < 0 ? Optional.empty() : pools.pool(key.substring(0, bar));
        if (address == null || pool.isEmpty()) {
            // Another node's configuration has a pool or source this one lacks: nothing to do here.
            return;
        }
        if (suspended) {
            suspendedHere.add(key);
        } else {
            suspendedHere.remove(key);
        }
        boolean changed = suspended ? pool.get().suspend(address) : pool.get().resume(address);
        if (changed) {
            log.info(suspended ? "egress source suspended" : "egress source resumed",
                    kv("pool", pool.get().name()), kv("source", NetUtil.toAddressString(address)));
        }
    }

    /** A suspension the cluster holds: applied if it is signed, otherwise counted and taken out of the map. */
    private void suspendedInCluster(String key, Object signature) {
        if (signature instanceof String text && seal.orElseThrow().verify(text, Kind.SUSPENSION, key)) {
            apply(key, true);
            return;
        }
        seal.orElseThrow().forged(Kind.SUSPENSION, key, "written to the cluster");
        if (suspendedHere.contains(key)) {
            // It took the place of a real suspension: put that back.
            map.orElseThrow().putAsync(key, seal.orElseThrow().sign(Kind.SUSPENSION, key));
        } else {
            map.orElseThrow().removeAsync(key);
        }
    }

    /** Every change of the map, on every node (its own included: applying twice changes nothing). */
    private final class Listener implements EntryAddedListener<String, Object>, EntryUpdatedListener<String, Object>,
            EntryRemovedListener<String, Object> {

        @Override
        public void entryAdded(EntryEvent<String, Object> event) {
            suspendedInCluster(event.getKey(), event.getValue());
        }

        @Override
        public void entryUpdated(EntryEvent<String, Object> event) {
            suspendedInCluster(event.getKey(), event.getValue());
        }

        @Override
        public void entryRemoved(EntryEvent<String, Object> event) {
            apply(event.getKey(), false);
        }
    }
}
