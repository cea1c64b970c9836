package io.sluice.policy.ratelimit;

import java.util.concurrent.atomic.AtomicBoolean;

/** One session's slot under a concurrency limit, held until released (or, for a dead node, until it expires). */
public interface Lease {

    /** Gives the slot back; a second call does nothing. */
    void release();

    /** A lease whose release gives the slot back by {@code giveBack}, once however often it is released. */
    static Lease releasedBy(Runnable giveBack) {
        AtomicBoolean released = new AtomicBoolean();
        return () -> {
            if (released.compareAndSet(false, true)) {
                giveBack.run();
            }
        };
    }
}
