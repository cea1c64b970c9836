package io.sluice.loadtest.load;

import org.HdrHistogram.Histogram;

/**
 * Latency over a whole run, in milliseconds: the replies of one stage, or (with a null stage) whole transactions,
 * from MAIL to the reply to the final dot.
 */
public record StageLatency(Stage stage, long count, double p50, double p90, double p99, double p999, double max) {

    /** The percentiles of a histogram recorded in microseconds. */
    static StageLatency of(Stage stage, Histogram micros) {
        return new StageLatency(stage, micros.getTotalCount(), millis(micros.getValueAtPercentile(50)),
                millis(micros.getValueAtPercentile(90)), millis(micros.getValueAtPercentile(99)),
                millis(micros.getValueAtPercentile(99.9)), millis(micros.getMaxValue()));
    }

    /** A name for tables: the stage's label, or {@code transaction}. */
    public String label() {
        return stage == null ? "transaction" : stage.label();
    }

    static double millis(long micros) {
        return micros / 1000.0;
    }
}
