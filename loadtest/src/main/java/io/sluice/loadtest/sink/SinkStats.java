package io.sluice.loadtest.sink;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** Counters shared by every connection of one sink; written from the event loops, read by the reporter. */
final class SinkStats {

    private final LongAdder sessionsOpened = new LongAdder();
    private final LongAdder sessionsClosed = new LongAdder();
    private final LongAdder messages = new LongAdder();
    private final LongAdder recipients = new LongAdder();
    private final LongAdder bodyBytes = new LongAdder();
    private final AtomicLong nextQueueId = new AtomicLong(1);

    void sessionOpened() {
        sessionsOpened.increment();
    }

    void sessionClosed() {
        sessionsClosed.increment();
    }

    /** Counts one accepted message and returns its queue id. */
    long messageAccepted(int recipientCount, long bytes) {
        messages.increment();
        recipients.add(recipientCount);
        bodyBytes.add(bytes);
        return nextQueueId.getAndIncrement();
    }

    Snapshot snapshot(long nanoTime) {
        long closed = sessionsClosed.sum();
        long opened = sessionsOpened.sum();
        return new Snapshot(nanoTime, opened, Math.max(0, opened - closed), messages.sum(), recipients.sum(),
                bodyBytes.sum());
    }

    /** Counter values at one instant; the sums are not atomic together, which is fine for a progress line. */
    record Snapshot(long nanoTime, long sessions, long activeSessions, long messages, long recipients, long bodyBytes) {
    }
}
