package io.sluice.policy.retry;

/**
 * Where the marks of deferred senders are kept: bounded, expiring, answering lookups at once from this node's
 * memory. One contract for the local and the cluster-wide implementation.
 */
public interface DeferredSenders extends AutoCloseable {

    /** Leaves a mark for the sender of {@code key} (see {@link MarkKey}) now; false if it was dropped (full). */
    boolean mark(long key);

    /**
     * When the sender of {@code key} was first deferred, in epoch milliseconds (the start of the generation of its
     * oldest mark), or -1 if it has no mark.
     */
    long firstDeferred(long key);

    /** Bytes the marks take on this node now. */
    long memoryBytes();

    /** The most bytes the marks may take on this node. */
    long maxBytes();

    @Override
    default void close() {
    }
}
