package io.sluice.loadtest.sink;

import java.util.ArrayList;
import java.util.List;
import org.HdrHistogram.Histogram;

/**
 * Messages the sink accepted in each second since it started, with the latency of the replies to their final dots
 * and the final dots waiting at the sample, for {@code sink-rate.csv} and the progress lines.
 */
public final class SinkRateLog {

    /** A day of seconds; later seconds are not kept, so a long-running sink stays bounded. */
    static final int MAX_SECONDS = 86_400;

    /**
     * One second: milliseconds since start at the sample, messages accepted since the previous sample, the
     * final-dot latency of those messages (p50, p99, max, in microseconds; 0 without any) and the final dots waiting
     * at the sample.
     */
    public record Row(long elapsedMillis, long messages, long p50Micros, long p99Micros, long maxMicros, int waiting) {
    }

    private final SinkStats stats;
    private final List<Row> rows = new ArrayList<>();
    private final long start = System.nanoTime();
    private long previous;
    private Histogram second;
    /** The latency since the last progress line. */
    private final Histogram sinceProgress = new Histogram(SinkStats.MAX_LATENCY_MICROS, 3);

    /** Counts from now: messages the sink accepted before, and their latency, are not in the first row. */
    SinkRateLog(SinkStats stats) {
        this.stats = stats;
        this.previous = stats.messages();
        this.second = stats.dotLatencyInterval(null);
    }

    /** Records the messages received since the last call, and returns them as a row (kept for a day of calls). */
    synchronized Row sample() {
        long now = stats.messages();
        second = stats.dotLatencyInterval(second);
        sinceProgress.add(second);
        boolean any = second.getTotalCount() > 0;
        Row row = new Row((System.nanoTime() - start) / 1_000_000, now - previous,
                any ? second.getValueAtPercentile(50) : 0, any ? second.getValueAtPercentile(99) : 0,
                any ? second.getMaxValue() : 0, stats.waiting());
        if (rows.size() < MAX_SECONDS) {
            rows.add(row);
        }
        previous = now;
        return row;
    }

    /** The final-dot latency since the last call, in microseconds (as sampled once a second). */
    synchronized Histogram takeSinceProgress() {
        Histogram copy = sinceProgress.copy();
        sinceProgress.reset();
        return copy;
    }

    synchronized List<Row> rows() {
        return new ArrayList<>(rows);
    }
}
