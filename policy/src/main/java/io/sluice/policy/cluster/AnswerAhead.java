package io.sluice.policy.cluster;

/**
 * What a bucket's copy on this node last answered, so that a request the copy must first synchronize for (its
 * {@code max-unsynced-time} or tokens ran out) is not kept waiting for the cluster's round trip while the bucket is
 * far from empty: it is answered from the last answer's remaining tokens, and the tokens are taken in the cluster all
 * the same, by the synchronization it set off. Only where that answer is fresh (within the copy's
 * {@code max-unsynced-time}), the bucket has more than the copy's own allowance of unsynchronized tokens left beyond
 * the request, and no answer given ahead still waits for the cluster's: one at a time, so a cluster that stops
 * answering is seen by the next request, and none is given ahead again until the cluster has answered.
 *
 * <p>What the copy would have answered had its time not run out, since it may spend that allowance on its own; only
 * a synchronization that finds the bucket emptied meanwhile by other nodes makes one request more than it would
 * have admitted.
 */
final class AnswerAhead {

    private static final long UNKNOWN = Long.MIN_VALUE;

    private final long floor;
    private final long freshNanos;
    private long remaining = UNKNOWN;
    private long answeredAtNanos;
    private boolean outstanding;

    /**
     * @param floor tokens the bucket keeps beyond an answer given ahead: the copy's unsynchronized allowance
     * @param freshNanos how old the last answer may be
     */
    AnswerAhead(long floor, long freshNanos) {
        this.floor = floor;
        this.freshNanos = freshNanos;
    }

    /** The bucket answered, with {@code remaining} tokens left, at {@code nowNanos}. */
    synchronized void answered(long remaining, long nowNanos) {
        this.remaining = remaining;
        this.answeredAtNanos = nowNanos;
        this.outstanding = false;
    }

    /** The cluster did not answer: nothing is answered ahead until it does. */
    synchronized void failed() {
        remaining = UNKNOWN;
        outstanding = false;
    }

    /** Whether an answer given ahead still waits for the cluster's (tests). */
    synchronized boolean outstanding() {
        return outstanding;
    }

    /** Takes {@code tokens} ahead of the cluster's answer; the tokens left after them, or -1 where it may not. */
    synchronized long take(long tokens, long nowNanos) {
        if (outstanding || remaining == UNKNOWN || nowNanos - answeredAtNanos > freshNanos
                || remaining - tokens < floor) {
            return -1;
        }
        remaining -= tokens;
        outstanding = true;
        return remaining;
    }
}
