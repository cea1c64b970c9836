package io.sluice.policy.ratelimit;

/** One session's slot under a concurrency limit, held until released (or, for a dead node, until it expires). */
public interface Lease {

    /** Gives the slot back; a second call does nothing. */
    void release();
}
