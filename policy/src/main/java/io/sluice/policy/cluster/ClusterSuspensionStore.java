package io.sluice.policy.cluster;

import com.hazelcast.map.IMap;
import io.sluice.policy.cluster.ClusterSeal.Kind;
import io.sluice.policy.suspension.LocalSuspensionStore;
import io.sluice.policy.suspension.SuspendedSource;
import io.sluice.policy.suspension.Suspension;
import io.sluice.policy.suspension.SuspensionStore;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The suspensions kept by the cluster, so that suspending a source on one node's admin API takes it out of use on
 * every node: one map entry per suspended source, which every node listens to. A node that joins takes the cluster's
 * suspensions. They live in the cluster's memory: a whole-cluster restart starts with every source in use. An
 * entry's value is its signature with the cluster secret: one that is not signed suspends nothing, is counted as a
 * forgery and is taken out of the map (or, where it took the place of a suspension held here, signed again). One with
 * an expiry (a receiver's reply asked for it) carries its terms after the signature, signed with it, and lives in the
 * map until then; each node lifts it by its own clock at that time too.
 */
public final class ClusterSuspensionStore implements SuspensionStore {

    static final String MAP = "sluice-suspended-sources";
    // How long a change the map took waits for its event before it is put in force here all the same.
    private static final Duration EVENT_WAIT = Duration.ofSeconds(5);
    // Between the signature and each of the terms: the reason is one line, the rule a name.
    private static final String SEPARATOR = "\n";

    // Values are Objects: whatever a forger put there must reach the check, not fail a cast.
    private final IMap<String, Object> map;
    private final ClusterSeal seal;
    private final Clock clock;
    // This node's copy of the cluster's suspensions, which tells the followers.
    private final LocalSuspensionStore inForce;
    // This node's changes waiting for the map's event of them: the copy follows the events, which come in the order
    // of the changes, so a late event of an earlier change never undoes a later one here.
    private final Map<String, List<Awaited>> awaited = new ConcurrentHashMap<>();

    private record Awaited(boolean suspended, Suspension terms, CompletableFuture<Void> inForce) {
    }

    public ClusterSuspensionStore(ClusterNode cluster) {
        this(cluster, Clock.systemUTC());
    }

    public ClusterSuspensionStore(ClusterNode cluster, Clock clock) {
        this.map = cluster.hazelcast().getMap(MAP);
        this.seal = cluster.seal();
        this.clock = clock;
        this.inForce = new LocalSuspensionStore(clock);
        map.addEntryListener(new EntryChanges<Object>(this::changed, this::gone, () -> { }), true);
        map.forEach(this::changed);
    }

    @Override
    public void follow(Follower follower) {
        inForce.follow(follower);
    }

    @Override
    public Map<SuspendedSource, Suspension> terms() {
        return inForce.terms();
    }

    @Override
    public CompletableFuture<Void> suspend(SuspendedSource source, Suspension terms) {
        return change(source, true, terms);
    }

    @Override
    public CompletableFuture<Void> lift(SuspendedSource source) {
        return change(source, false, null);
    }

    /**
     * Completes once the change is in force here: when the map's event of it has come (a removal of what was not
     * there has none), or, should the event be lost, a while after the map took the change.
     */
    private CompletableFuture<Void> change(SuspendedSource source, boolean suspended, Suspension terms) {
        String key = source.key();
        Awaited change = new Awaited(suspended, terms, new CompletableFuture<>());
        awaited.computeIfAbsent(key, k -> new CopyOnWriteArrayList<>()).add(change);
        CompletableFuture<?> written = suspended ? write(key, terms) : map.removeAsync(key).toCompletableFuture();
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
            if (change.suspended()) {
                inForce.suspend(source, change.terms());
            } else {
                inForce.lift(source);
            }
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
        SuspendedSource.fromKey(key).ifPresent(inForce::lift);
        settled(key, false);
    }

    /** A suspension the cluster holds: in force if it is signed, otherwise counted and undone in the map. */
    private void changed(String key, Object value) {
        Optional<SuspendedSource> source = SuspendedSource.fromKey(key);
        Suspension terms = value instanceof String text ? verified(key, text) : null;
        if (terms != null) {
            source.ifPresent(signed -> inForce.suspend(signed, terms));
            settled(key, true);
            return;
        }
        seal.forged(Kind.SUSPENSION, key, "written to the cluster");
        // It took the place of a real suspension: put that back; of none (or one over): it goes.
        Suspension mine = source.map(inForce::held).orElse(null);
        if (mine == null) {
            map.removeAsync(key);
        } else {
            write(key, mine);
        }
    }

    /**
     * Writes signed terms under the key, ending with them; terms already over leave nothing under it (the key is
     * removed).
     */
    private CompletableFuture<?> write(String key, Suspension terms) {
        if (terms.expiresMillis() == 0) {
            return map.putAsync(key, seal.sign(Kind.SUSPENSION, key)).toCompletableFuture();
        }
        long ttl = terms.expiresMillis() - clock.millis();
        if (ttl <= 0) {
            return map.removeAsync(key).toCompletableFuture();
        }
        return map.putAsync(key, signed(key, terms), ttl, TimeUnit.MILLISECONDS).toCompletableFuture();
    }

    /** The value of a suspension with an expiry: the signature, then the terms it covers, a line each. */
    private String signed(String key, Suspension terms) {
        String expires = Long.toString(terms.expiresMillis());
        return String.join(SEPARATOR, seal.sign(Kind.SUSPENSION, key, expires, terms.rule(), terms.reason()),
                expires, terms.rule(), terms.reason());
    }

    /** The terms a value carries if it is signed with the cluster's secret; null otherwise. */
    private Suspension verified(String key, String value) {
        String[] parts = value.split(SEPARATOR, 4);
        if (parts.length == 1) {
            return seal.verify(value, Kind.SUSPENSION, key) ? Suspension.UNTIL_LIFTED : null;
        }
        if (parts.length != 4 || !seal.verify(parts[0], Kind.SUSPENSION, key, parts[1], parts[2], parts[3])) {
            return null;
        }
        try {
            long expires = Long.parseLong(parts[1]);
            return expires > 0 ? new Suspension(expires, parts[2], parts[3]) : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
