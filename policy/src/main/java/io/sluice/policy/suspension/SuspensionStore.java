package io.sluice.policy.suspension;

import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Where the suspensions of egress sources are kept; the store tells its followers what is suspended and each change,
 * and they take the sources out of use (or put them back).
 */
public interface SuspensionStore {

    /** Tells the follower of every suspension held now, at once, then of every change, on whichever thread it comes. */
    void follow(Follower follower);

    /** The sources suspended now; answers at once, without asking anyone else. */
    Set<SuspendedSource> suspended();

    /** Suspends or resumes a source; followers on this node are told before the future completes, the others soon after. */
    CompletableFuture<Void> set(SuspendedSource source, boolean suspended);

    /** What hears of the changes. */
    @FunctionalInterface
    interface Follower {

        /** The source was suspended ({@code true}) or resumed; told once per change. */
        void changed(SuspendedSource source, boolean suspended);
    }
}
