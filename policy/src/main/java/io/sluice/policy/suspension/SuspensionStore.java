package io.sluice.policy.suspension;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Where the suspensions of egress sources are kept, for every destination or for one site, until lifted or until
 * they expire; the store tells its followers what is suspended and each change, and they take the sources out of use
 * (or put them back).
 */
public interface SuspensionStore {

    /** Tells the follower of every suspension held now, at once, then of every change, on whichever thread it comes. */
    void follow(Follower follower);

    /** The suspensions in force now; answers at once, without asking anyone else. */
    default Set<SuspendedSource> suspended() {
        return terms().keySet();
    }

    /** The suspensions in force now with their terms; answers at once, without asking anyone else. */
    Map<SuspendedSource, Suspension> terms();

    /** Suspends until lifted, or lifts, a suspension; followers on this node are told before the future completes. */
    default CompletableFuture<Void> set(SuspendedSource source, boolean suspended) {
        return suspended ? suspend(source, Suspension.UNTIL_LIFTED) : lift(source);
    }

    /**
     * Suspends on these terms (new terms replace those held), ending by itself at their expiry; followers on this
     * node are told before the future completes, the others soon after.
     */
    CompletableFuture<Void> suspend(SuspendedSource source, Suspension terms);

    /** Lifts a suspension; followers on this node are told before the future completes, the others soon after. */
    CompletableFuture<Void> lift(SuspendedSource source);

    /** What hears of the changes. */
    @FunctionalInterface
    interface Follower {

        /** The source was suspended ({@code true}, or on new terms) or resumed; told once per change. */
        void changed(SuspendedSource source, boolean suspended);
    }
}
