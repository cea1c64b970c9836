package io.sluice.loadtest.sink;

import java.util.ArrayList;
import java.util.List;

/** Messages the sink received in each second since it started, for {@code sink-rate.csv}. */
final class SinkRateLog {

    /** A day of seconds; later seconds are not kept, so a long-running sink stays bounded. */
    static final int MAX_SECONDS = 86_400;

    private final SinkStats stats;
    private final List<long[]> rows = new ArrayList<>();
    private final long start = System.nanoTime();
    private long previous;

    SinkRateLog(SinkStats stats) {
        this.stats = stats;
    }

    /** Records the messages received since the last call. */
    synchronized void sample() {
        long now = stats.messages();
        if (rows.size() < MAX_SECONDS) {
            rows.add(new long[] {(System.nanoTime() - start) / 1_000_000, now - previous});
        }
        previous = now;
    }

    /** Each row: milliseconds since start at the sample, messages since the previous sample. */
    synchronized List<long[]> rows() {
        return new ArrayList<>(rows);
    }
}
