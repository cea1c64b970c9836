package io.sluice.loadtest.load;

import java.util.BitSet;
import java.util.EnumMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Counters and latency recorders of one run, written by every session from the event loops and read by the
 * sampler once a second.
 */
final class LoadStats {

    /** Longest latency recorded, in microseconds; longer ones are clamped (the reply timeout is far below). */
    static final long MAX_LATENCY_MICROS = TimeUnit.MINUTES.toMicros(10);

    /** A reply code such as {@code "451"}, or {@code timeout}, {@code closed}, {@code connect-failed}, {@code cut}. */
    record ReplyKey(Stage stage, String code) implements Comparable<ReplyKey> {
        @Override
        public int compareTo(ReplyKey other) {
            int byStage = stage.compareTo(other.stage);
            return byStage != 0 ? byStage : code.compareTo(other.code);
        }
    }

    private final LongAdder sessionsStarted = new LongAdder();
    private final LongAdder sessionsEnded = new LongAdder();
    private final LongAdder messagesOffered = new LongAdder();
    private final Map<MessageOutcome, LongAdder> messages = new EnumMap<>(MessageOutcome.class);
    private final Map<ReplyKey, LongAdder> replies = new ConcurrentHashMap<>();
    private final Map<ReplyKey, String> examples = new ConcurrentHashMap<>();
    private final Map<Stage, Recorder> latency = new EnumMap<>(Stage.class);
    /** From MAIL to the reply to the final dot: what one message costs the client. */
    private final Recorder transaction = new Recorder(MAX_LATENCY_MICROS, 3);
    /** Sequence numbers of admitted messages, to compare with what the backend received. */
    private final BitSet admitted = new BitSet();

    LoadStats() {
        for (MessageOutcome outcome : MessageOutcome.values()) {
            messages.put(outcome, new LongAdder());
        }
        for (Stage stage : Stage.values()) {
            latency.put(stage, new Recorder(MAX_LATENCY_MICROS, 3));
        }
    }

    void sessionStarted(int plannedMessages) {
        sessionsStarted.increment();
        messagesOffered.add(plannedMessages);
    }

    void sessionEnded() {
        sessionsEnded.increment();
    }

    /** A complete reply at {@code stage}, {@code nanos} after its command was sent. */
    void reply(Stage stage, int code, long nanos, String text) {
        ReplyKey key = new ReplyKey(stage, Integer.toString(code));
        replies.computeIfAbsent(key, k -> new LongAdder()).increment();
        if (code >= 400 && !examples.containsKey(key)) {
            examples.putIfAbsent(key, text);
        }
        latency.get(stage).recordValue(Math.min(MAX_LATENCY_MICROS, Math.max(0, nanos / 1000)));
    }

    /** A message's reply to its final dot came {@code nanos} after its MAIL was sent. */
    void transaction(long nanos) {
        transaction.recordValue(Math.min(MAX_LATENCY_MICROS, Math.max(0, nanos / 1000)));
    }

    /** A stage that got no reply: {@code what} is timeout, closed, connect-failed or cut. */
    void noReply(Stage stage, String what, String detail) {
        ReplyKey key = new ReplyKey(stage, what);
        replies.computeIfAbsent(key, k -> new LongAdder()).increment();
        if (detail != null && !examples.containsKey(key)) {
            examples.putIfAbsent(key, detail);
        }
    }

    void messageEnded(int seq, MessageOutcome outcome) {
        messages.get(outcome).increment();
        if (outcome == MessageOutcome.ADMITTED) {
            synchronized (admitted) {
                admitted.set(seq);
            }
        }
    }

    /** The latency recorded at {@code stage} since the last call, in microseconds; recycles {@code reuse}. */
    Histogram interval(Stage stage, Histogram reuse) {
        return latency.get(stage).getIntervalHistogram(reuse);
    }

    /** The transaction latency recorded since the last call, in microseconds; recycles {@code reuse}. */
    Histogram transactionInterval(Histogram reuse) {
        return transaction.getIntervalHistogram(reuse);
    }

    /** A copy of the admitted sequence numbers. */
    BitSet admitted() {
        synchronized (admitted) {
            return (BitSet) admitted.clone();
        }
    }

    Counts counts() {
        return new Counts(sessionsStarted.sum(), sessionsEnded.sum(), messagesOffered.sum(),
                messages.get(MessageOutcome.ADMITTED).sum(), messages.get(MessageOutcome.TEMPFAILED).sum(),
                messages.get(MessageOutcome.REJECTED).sum(), messages.get(MessageOutcome.ERROR).sum());
    }

    /** Replies by stage and code, in stage order. */
    Map<ReplyKey, Long> replies() {
        Map<ReplyKey, Long> sorted = new TreeMap<>();
        replies.forEach((key, count) -> sorted.put(key, count.sum()));
        return sorted;
    }

    /** The first reply text seen for each refusal or failure. */
    Map<ReplyKey, String> examples() {
        return new TreeMap<>(examples);
    }
}
