package io.sluice.policy.suspension;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Suspensions of this node alone (a restart starts with every source in use), and the copy a cluster's store keeps
 * of the cluster's. A change that changes nothing (the cluster's echo of this node's own write) is told to no one.
 * Followers are told under the lock, so each hears the changes in the order they were made here. A suspension with
 * an expiry is lifted here at that time by the clock, whatever else comes.
 */
public final class LocalSuspensionStore implements SuspensionStore {

    private final Clock clock;
    private final Map<SuspendedSource, Suspension> suspended = new HashMap<>();
    private final List<Follower> followers = new ArrayList<>();

    public LocalSuspensionStore(Clock clock) {
        this.clock = clock;
    }

    public LocalSuspensionStore() {
        this(Clock.systemUTC());
    }

    @Override
    public synchronized void follow(Follower follower) {
        followers.add(follower);
        suspended.keySet().forEach(source -> follower.changed(source, true));
    }

    @Override
    public synchronized Map<SuspendedSource, Suspension> terms() {
        return Map.copyOf(suspended);
    }

    @Override
    public CompletableFuture<Void> suspend(SuspendedSource source, Suspension terms) {
        long left = terms.expiresMillis() - clock.millis();
        if (terms.expiresMillis() != 0 && left <= 0) {
            // Expired on the way here (a late event of the cluster's): nothing to put in force.
            return CompletableFuture.completedFuture(null);
        }
        synchronized (this) {
            if (!terms.equals(suspended.put(source, terms))) {
                followers.forEach(follower -> follower.changed(source, true));
            }
        }
        if (terms.expiresMillis() != 0) {
            CompletableFuture.delayedExecutor(left, TimeUnit.MILLISECONDS).execute(() -> expire(source, terms));
        }
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletableFuture<Void> lift(SuspendedSource source) {
        synchronized (this) {
            if (suspended.remove(source) != null) {
                followers.forEach(follower -> follower.changed(source, false));
            }
        }
        return CompletableFuture.completedFuture(null);
    }

    /** Lifts the suspension if it is still held on the terms that expired (not renewed since). */
    private synchronized void expire(SuspendedSource source, Suspension terms) {
        if (terms.equals(suspended.get(source))) {
            lift(source);
        }
    }

    /** Whether the source is suspended here. */
    public synchronized boolean holds(SuspendedSource source) {
        return suspended.containsKey(source);
    }

    /** The terms held here for the source, or null. */
    public synchronized Suspension held(SuspendedSource source) {
        return suspended.get(source);
    }
}
