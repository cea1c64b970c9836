package io.sluice.policy.fairshare;

import java.util.Optional;

/**
 * Where the books of fair-share rules are kept: on this node alone, or with the demand of every node of the cluster.
 * Lookups answer at once from this node's memory; the cluster's part travels once a window, never per decision.
 */
public interface FairShares extends AutoCloseable {

    /**
     * The books of the fair-share rule whose bucket is {@code bucketKey} (its name and shape), refilled at
     * {@code tokensPerMilli}; made on first use.
     */
    FairShareBook book(String bucketKey, double tokensPerMilli);

    /** The books of that rule if this node made them, without making them: for looking. */
    Optional<FairShareBook> find(String bucketKey);

    @Override
    default void close() {
    }
}
