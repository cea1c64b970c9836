package io.sluice.loadtest.load;

/**
 * One second of a run: what happened in it ({@code delta}), the totals at its end, the backend's messages in it
 * (-1 without a backend), and the reply latency of every stage together in it, in milliseconds.
 *
 * @param scheduledRate the schedule's session rate at the start of the second (0 in closed loop)
 */
public record Second(int second, double seconds, Counts delta, Counts total, long backendReceived, double p50Millis,
        double p99Millis, double scheduledRate) {

    /** The rate of {@code count} events in this row's span. */
    public double rate(long count) {
        return seconds > 0 ? count / seconds : 0;
    }
}
