package io.sluice.policy.cluster;

import com.hazelcast.map.IMap;
import io.sluice.policy.cluster.ClusterSeal.Kind;
import io.sluice.policy.suspension.LocalSuspensionStore;
import io.sluice.policy.suspension.SuspendedSource;
import io.sluice.policy.suspension.SuspensionStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The suspensions kept by the cluster, so that suspending a source on one node's admin API takes it out of use on
 * every node: one map entry per suspended source, which every node listens to. A node that joins takes the cluster's
 * suspensions. They live in the cluster's memory: a whole-cluster restart starts with every source in use. An
 * entry's value is its signature with the cluster secret: one that is not signed suspends nothing, is counted as a
 * forgery and is taken out of the map (or, where it took the place of a suspension held here, signed again).
 */
public final class ClusterSuspensionStore implements SuspensionStore {

    static final String MAP = "sluice-suspended-sources";
    // How long a change the map took waits for its event before it is put in force here all the same.
    private static final Duration EVENT_WAIT = Duration.ofSeconds(5);

    // Values are Objects: whatever a forger put there must reach the check, not fail a cast.
    private final IMap<String, Object> map;
    private final ClusterSeal seal;
    // This node's copy of the cluster's suspensions, which tells the followers.
    private final LocalSuspensionStore inForce = new LocalSuspensionStore();
    // This node's changes waiting for the map's event of them: the copy follows the events, which come in the order
    // of the changes, so a late event of an earlier change never undoes a later one here.
    private final Map<String, List<Awaited>> awaited = new ConcurrentHashMap<>();

    private record Awaited(boolean suspended, CompletableFuture<Void> inForce) {
    }

    public ClusterSuspensionStore(ClusterNode cluster) {
        this.map = cluster.hazelcast().getMap(MAP);
        this.seal = cluster.seal();
        map.addEntryListener(new EntryChanges<Object>(this::changed, this::gone, () -> { }), true);
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

    /**
     * Completes once the change is in force here: when the map's event of it has come (a removal of what was not
     * there has none), or, should the event be lost, a while after the map took the change.
     */
    @Override
    public CompletableFuture<Void> set(SuspendedSource source, boolean suspended) {
        String key = source.key();
        Awaited change = new Awaited(suspended, new CompletableFuture<>());
        awaited.computeIfAbsent(key, k -> new CopyOnWriteArrayList<>()).add(change);
        CompletableFuture<?> written = suspended
                ? map.putAsync(key, seal.sign(Kind.SUSPENSION, key)).toCompletableFuture()
                : map.removeAsync(key).toCompletableFuture();
        written.whenComplete((previous, error) -> {
            if (error != null) {
                forget(key, change);
                change.inForce().completeExceptionally(error);
            } else if (previous == null && !suspended) {
                // Nothing was removed: no event comes.
                inForceNow(source, change);
            } else {
                CompletableFuture.delayedExecutor(EVENT_WAIT.toMillis(), TimeUnit.MILLISECONDS)
                        .execute(() -> inForceNow(source, change));
            }
        });
        return change.inForce();
    }

    private void inForceNow(SuspendedSource source, Awaited change) {
        if (!change.inForce().isDone()) {
            inForce.set(source, change.suspended());
            forget(source.key(), change);
            change.inForce().complete(null);
        }
    }

    private void forget(String key, Awaited change) {
        awaited.computeIfPresent(key, (k, changes) -> {
            changes.remove(change);
            return changes.isEmpty() ? null : changes;
        });
    }

    /** The map's event of a change is in: this node's changes to that state are in force now. */
    private void settled(String key, boolean suspended) {
        List<Awaited> changes = awaited.get(key);
        if (changes == null) {
            return;
        }
        for (Awaited change : changes) {
            if (change.suspended() == suspended) {
                forget(key, change);
                change.inForce().complete(null);
            }
        }
    }

    private void gone(String key) {
        SuspendedSource.fromKey(key).ifPresent(source -> inForce.set(source, false));
        settled(key, false);
    }

    /** A suspension the cluster holds: in force if it is signed, otherwise counted and undone in the map. */
    private void changed(String key, Object signature) {
        Optional<SuspendedSource> source = SuspendedSource.fromKey(key);
        if (signature instanceof String text && seal.verify(text, Kind.SUSPENSION, key)) {
            source.ifPresent(signed -> inForce.set(signed, true));
            settled(key, true);
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
