package io.sluice.loadtest.sink;

import io.sluice.loadtest.check.CheckHeader;
import io.sluice.loadtest.check.Ledger;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

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
    /** {@link System#nanoTime} of the first and the last acceptance; the first is 0 until there is one. */
    private final AtomicLong firstAccepted = new AtomicLong();
    private final AtomicLong lastAccepted = new AtomicLong();
    private final Map<String, LongAdder> byPeer = new ConcurrentHashMap<>();
    private final Ledger ledger = new Ledger();
    /** Final dots whose reply waits for the service model, now and at most so far. */
    private final AtomicInteger waiting = new AtomicInteger();
    private final AtomicInteger waitingPeak = new AtomicInteger();
    /** Latency of the reply to the final dot of accepted messages, in microseconds: per second, per plateau. */
    private final Recorder dotLatency = new Recorder(MAX_LATENCY_MICROS, 3);
    private final List<Recorder> dotLatencyByPlateau;
    private final List<Histogram> plateauTotals;

    /** Longest final-dot latency recorded, in microseconds; longer ones are clamped. */
    static final long MAX_LATENCY_MICROS = TimeUnit.HOURS.toMicros(1);

    SinkStats() {
        this(1);
    }

    /** @param plateaus the service model's plateaus, for the final-dot latency reported per plateau */
    SinkStats(int plateaus) {
        Recorder[] recorders = new Recorder[plateaus];
        Histogram[] totals = new Histogram[plateaus];
        for (int i = 0; i < plateaus; i++) {
            recorders[i] = new Recorder(MAX_LATENCY_MICROS, 3);
            totals[i] = new Histogram(MAX_LATENCY_MICROS, 3);
        }
        dotLatencyByPlateau = List.of(recorders);
        plateauTotals = List.of(totals);
    }

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
        long now = System.nanoTime();
        firstAccepted.compareAndSet(0, now);
        lastAccepted.accumulateAndGet(now, (a, b) -> b - a > 0 ? b : a);
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

    /** A final dot now waits for its turn. */
    void waitingStarted() {
        int now = waiting.incrementAndGet();
        waitingPeak.accumulateAndGet(now, Math::max);
    }

    /** A final dot stopped waiting: answered, or its connection closed. */
    void waitingEnded() {
        waiting.decrementAndGet();
    }

    int waiting() {
        return waiting.get();
    }

    /** The most final dots that waited at once. */
    int waitingPeak() {
        return waitingPeak.get();
    }

    /** The reply to an accepted message's final dot went out {@code nanos} after the dot, in plateau {@code plateau}. */
    void dotAnswered(int plateau, long nanos) {
        long micros = Math.min(MAX_LATENCY_MICROS, Math.max(0, nanos / 1000));
        dotLatency.recordValue(micros);
        dotLatencyByPlateau.get(plateau).recordValue(micros);
    }

    /** The final-dot latency recorded since the last call, in microseconds; recycles {@code reuse}. */
    Histogram dotLatencyInterval(Histogram reuse) {
        return dotLatency.getIntervalHistogram(reuse);
    }

    /** The final-dot latency of each plateau so far, in microseconds. */
    synchronized List<Histogram> dotLatencyByPlateau() {
        List<Histogram> copies = new java.util.ArrayList<>();
        for (int i = 0; i < plateauTotals.size(); i++) {
            plateauTotals.get(i).add(dotLatencyByPlateau.get(i).getIntervalHistogram());
            copies.add(plateauTotals.get(i).copy());
        }
        return copies;
    }

    /** When the first message was accepted ({@link System#nanoTime}), or 0 before. */
    long firstAccepted() {
        return firstAccepted.get();
    }

    /** When the last message so far was accepted ({@link System#nanoTime}). */
    long lastAccepted() {
        return lastAccepted.get();
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
                bodyBytes.sum(), faults.sum(), waiting.get());
    }

    /** Counter values at one instant; the sums are not atomic together, which is fine for a progress line. */
    record Snapshot(long nanoTime, long sessions, long activeSessions, long messages, long recipients, long bodyBytes,
            long faults, int waiting) {

        Snapshot(long nanoTime, long sessions, long activeSessions, long messages, long recipients, long bodyBytes,
                long faults) {
            this(nanoTime, sessions, activeSessions, messages, recipients, bodyBytes, faults, 0);
        }
    }
}
