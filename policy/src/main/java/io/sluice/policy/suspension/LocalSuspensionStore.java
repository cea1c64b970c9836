package io.sluice.policy.suspension;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Suspensions of this node alone (a restart starts with every source in use), and the copy a cluster's store keeps
 * of the cluster's. A change that changes nothing (the cluster's echo of this node's own write) is told to no one.
 * Followers are told under the lock, so each hears the changes in the order they were made here.
 */
public final class LocalSuspensionStore implements SuspensionStore {

    private final Set<SuspendedSource> suspended = new HashSet<>();
    private final List<Follower> followers = new ArrayList<>();

    @Override
    public synchronized void follow(Follower follower) {
        followers.add(follower);
        suspended.forEach(source -> follower.changed(source, true));
    }

    @Override
    public synchronized Set<SuspendedSource> suspended() {
        return Set.copyOf(suspended);
    }

    @Override
    public CompletableFuture<Void> set(SuspendedSource source, boolean suspend) {
        synchronized (this) {
            if (suspend ? suspended.add(source) : suspended.remove(source)) {
                followers.forEach(follower -> follower.changed(source, suspend));
            }
        }
        return CompletableFuture.completedFuture(null);
    }

    /** Whether the source is suspended here. */
    public synchronized boolean holds(SuspendedSource source) {
        return suspended.contains(source);
    }
}
