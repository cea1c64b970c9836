package io.sluice.policy.ratelimit;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** Session counts by key, with a maximum; one contract for the local and the cluster-wide implementation. */
public interface LeaseStore {

    /** A lease on one of {@code max} slots of the key, or empty when all are taken. */
    CompletableFuture<Optional<Lease>> acquire(String key, int max);

    /** Slots of the key held now. */
    CompletableFuture<Integer> held(String key);
}
