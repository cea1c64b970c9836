package io.sluice.loadtest.load;

/** Reply latency of one stage over a whole run, in milliseconds. */
public record StageLatency(Stage stage, long count, double p50, double p90, double p99, double p999, double max) {
}
