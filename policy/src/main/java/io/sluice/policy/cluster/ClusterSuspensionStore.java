package io.sluice.policy.cluster;

import com.hazelcast.map.IMap;
import io.sluice.policy.cluster.ClusterSeal.Kind;
import io.sluice.policy.suspension.LocalSuspensionStore;
import io.sluice.policy.suspension.SuspendedSource;
import io.sluice.policy.suspension.SuspensionStore;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The suspensions kept by the cluster, so that suspending a source on one node's admin API takes it out of use on
 * every node: one map entry per suspended source, which every node listens to. A node that joins takes the cluster's
 * suspensions. They live in the cluster's memory: a whole-cluster restart starts with every source in use. An
 * entry's value is its signature with the cluster secret: one that is not signed suspends nothing, is counted as a
 * forgery and is taken out of the map (or, where it took the place of a suspension held here, signed again).
 */
public final class ClusterSuspensionStore implements SuspensionStore {

    static final String MAP = "sluice-suspended-sources";

    // Values are Objects: whatever a forger put there must reach the check, not fail a cast.
    private final IMap<String, Object> map;
    private final ClusterSeal seal;
    // This node's copy of the cluster's suspensions, which tells the followers.
    private final LocalSuspensionStore inForce = new LocalSuspensionStore();

    public ClusterSuspensionStore(ClusterNode cluster) {
        this.map = cluster.hazelcast().getMap(MAP);
        this.seal = cluster.seal();
        map.addEntryListener(new EntryChanges<Object>(this::changed,
                key -> SuspendedSource.fromKey(key).ifPresent(source -> inForce.set(source, false)), () -> { }), true);
        map.forEach(this::changed);
    }

    @Override
    public void follow(Follower follower) {
        inForce.follow(follower);
    }

    @Override
    public Set<SuspendedSource> suspended() {
        return inForce.suspended();
    }

    @Override
    public CompletableFuture<Void> set(SuspendedSource source, boolean suspended) {
        String key = source.key();
        CompletableFuture<?> written = suspended
                ? map.putAsync(key, seal.sign(Kind.SUSPENSION, key)).toCompletableFuture()
                : map.removeAsync(key).toCompletableFuture();
        return written.thenAccept(previous -> inForce.set(source, suspended));
    }

    /** A suspension the cluster holds: in force if it is signed, otherwise counted and undone in the map. */
    private void changed(String key, Object signature) {
        Optional<SuspendedSource> source = SuspendedSource.fromKey(key);
        if (signature instanceof String text && seal.verify(text, Kind.SUSPENSION, key)) {
            source.ifPresent(signed -> inForce.set(signed, true));
            return;
        }
        seal.forged(Kind.SUSPENSION, key, "written to the cluster");
        if (source.filter(inForce::holds).isPresent()) {
            // It took the place of a real suspension: put that back.
            map.putAsync(key, seal.sign(Kind.SUSPENSION, key));
        } else {
            map.removeAsync(key);
        }
    }
}
