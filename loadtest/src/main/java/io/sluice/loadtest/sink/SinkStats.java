package io.sluice.loadtest.sink;

import io.sluice.loadtest.check.CheckHeader;
import io.sluice.loadtest.check.Ledger;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** Counters shared by every connection of one sink; written from the event loops, read by the reporter. */
final class SinkStats {

    /** Peer addresses counted one by one at most; the rest are counted together, so memory stays bounded. */
    static final int MAX_PEERS = 10_000;
    static final String OTHER_PEERS = "other";

    private final LongAdder sessionsOpened = new LongAdder();
    private final LongAdder sessionsClosed = new LongAdder();
    private final LongAdder messages = new LongAdder();
    private final LongAdder recipients = new LongAdder();
    private final LongAdder bodyBytes = new LongAdder();
    private final LongAdder faults = new LongAdder();
    private final AtomicLong nextQueueId = new AtomicLong(1);
    private final Map<String, LongAdder> byPeer = new ConcurrentHashMap<>();
    private final Ledger ledger = new Ledger();

    void sessionOpened() {
        sessionsOpened.increment();
    }

    void sessionClosed() {
        sessionsClosed.increment();
    }

    void faultInjected() {
        faults.increment();
    }

    /** Counts one accepted message, enters it in the ledger, and returns its queue id. */
    long messageAccepted(int recipientCount, long bytes, String peer, Optional<CheckHeader> check,
            byte[] bodySha256) {
        messages.increment();
        recipients.add(recipientCount);
        bodyBytes.add(bytes);
        LongAdder perPeer = byPeer.get(peer);
        if (perPeer == null) {
            String key = byPeer.size() < MAX_PEERS ? peer : OTHER_PEERS;
            perPeer = byPeer.computeIfAbsent(key, k -> new LongAdder());
        }
        perPeer.increment();
        if (check.isPresent()) {
            ledger.record(check.get(), bodySha256);
        } else {
            ledger.recordUnchecked();
        }
        return nextQueueId.getAndIncrement();
    }

    Ledger ledger() {
        return ledger;
    }

    /** Accepted messages by the address of the peer that sent them. */
    Map<String, Long> messagesByPeer() {
        Map<String, Long> counts = new TreeMap<>();
        byPeer.forEach((peer, count) -> counts.put(peer, count.sum()));
        return counts;
    }

    long messages() {
        return messages.sum();
    }

    Snapshot snapshot(long nanoTime) {
        long closed = sessionsClosed.sum();
        long opened = sessionsOpened.sum();
        return new Snapshot(nanoTime, opened, Math.max(0, opened - closed), messages.sum(), recipients.sum(),
                bodyBytes.sum(), faults.sum());
    }

    /** Counter values at one instant; the sums are not atomic together, which is fine for a progress line. */
    record Snapshot(long nanoTime, long sessions, long activeSessions, long messages, long recipients, long bodyBytes,
            long faults) {
    }
}
