package io.sluice.loadtest.sink;

import io.sluice.loadtest.cli.DurationConverter;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.TypeConversionException;

/**
 * The sink's service rate over a run, written {@code 300/s,100/s@30s,300/s@60s}: 300 messages/s from the start,
 * 100/s from 30 s on, 300/s again from 60 s on. Offsets count from the sink's start.
 */
public record CapacitySchedule(List<Step> steps) {

    /** Highest rate accepted; it keeps the slot arithmetic in whole nanoseconds. */
    static final double MAX_RATE = 1_000_000;
    /** Steps at most, so that the per-step latency report stays small. */
    static final int MAX_STEPS = 100;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    private static final Pattern STEP = Pattern.compile("(\\d{1,7}(?:\\.\\d{1,3})?)/s(?:@(\\S+))?");

    /** From {@code from} on (until the next step), messages are accepted at most {@code rate} per second. */
    public record Step(double rate, Duration from) {
        public Step {
            if (!(rate > 0 && rate <= MAX_RATE)) {
                throw new IllegalArgumentException("rate: " + rate + " (expected: > 0 and <= " + formatRate(MAX_RATE) + ")");
            }
            if (from == null || from.isNegative()) {
                throw new IllegalArgumentException("from: " + from + " (expected: >= 0)");
            }
        }

        /** Nanoseconds between two accepted messages, rounded up so that the rate is never exceeded. */
        long intervalNanos() {
            return (long) Math.ceil(NANOS_PER_SECOND / rate);
        }

        @Override
        public String toString() {
            return formatRate(rate) + (from.isZero() ? "" : "@" + format(from));
        }
    }

    public CapacitySchedule {
        if (steps == null || steps.isEmpty() || steps.size() > MAX_STEPS) {
            throw new IllegalArgumentException("steps: " + (steps == null ? 0 : steps.size())
                    + " (expected: 1-" + MAX_STEPS + ")");
        }
        steps = List.copyOf(steps);
        if (!steps.get(0).from().isZero()) {
            throw new IllegalArgumentException("steps[0].from: " + steps.get(0).from() + " (expected: 0)");
        }
        for (int i = 1; i < steps.size(); i++) {
            if (steps.get(i).from().compareTo(steps.get(i - 1).from()) <= 0) {
                throw new IllegalArgumentException("steps[" + i + "].from: " + steps.get(i).from()
                        + " (expected: after the step before)");
            }
        }
    }

    /** One rate for the whole run. */
    public static CapacitySchedule constant(double rate) {
        return new CapacitySchedule(List.of(new Step(rate, Duration.ZERO)));
    }

    /**
     * Parses {@code RATE[,RATE@OFFSET...]}: a rate {@code N/s} (up to three decimals), each later one with the
     * offset from which it holds, in increasing order; the first holds from the start.
     *
     * @throws IllegalArgumentException naming the step that is wrong and what was expected
     */
    public static CapacitySchedule parse(String text) {
        List<Step> steps = new ArrayList<>();
        String[] parts = text.split(",", -1);
        if (parts.length > MAX_STEPS) {
            throw new IllegalArgumentException("\"" + text + "\" (expected: at most " + MAX_STEPS + " steps)");
        }
        for (int i = 0; i < parts.length; i++) {
            String part = parts[i].trim();
            Matcher m = STEP.matcher(part);
            if (!m.matches()) {
                throw invalid(part, "RATE/s or RATE/s@OFFSET, e.g. 300/s or 100/s@30s");
            }
            double rate = Double.parseDouble(m.group(1));
            if (!(rate > 0 && rate <= MAX_RATE)) {
                throw invalid(part, "a rate > 0 and <= " + formatRate(MAX_RATE));
            }
            Duration from = Duration.ZERO;
            if (m.group(2) != null) {
                try {
                    from = DurationConverter.parse(m.group(2));
                } catch (TypeConversionException e) {
                    throw invalid(part, "an offset with a unit ms, s, m or h, e.g. 100/s@30s");
                }
            } else if (i > 0) {
                throw invalid(part, "an offset for every step after the first, e.g. 100/s@30s");
            }
            if (i == 0 && !from.isZero()) {
                throw invalid(part, "the first step from the start, without an offset or @0");
            }
            if (i > 0 && from.compareTo(steps.get(i - 1).from()) <= 0) {
                throw invalid(part, "an offset after the step before's " + format(steps.get(i - 1).from()));
            }
            steps.add(new Step(rate, from));
        }
        return new CapacitySchedule(steps);
    }

    /** The index of the step in force {@code nanos} after the start (the first before it). */
    int stepAt(long nanos) {
        int index = 0;
        for (int i = 1; i < steps.size(); i++) {
            if (nanos >= steps.get(i).from().toNanos()) {
                index = i;
            } else {
                break;
            }
        }
        return index;
    }

    /** The rate in force {@code nanos} after the start. */
    public double rateAt(long nanos) {
        return steps.get(stepAt(nanos)).rate();
    }

    /** Messages the schedule allows between {@code fromNanos} and {@code toNanos} (the area under the rate). */
    double allowedBetween(long fromNanos, long toNanos) {
        double total = 0;
        for (int i = 0; i < steps.size(); i++) {
            long start = Math.max(fromNanos, steps.get(i).from().toNanos());
            long end = i + 1 < steps.size() ? Math.min(toNanos, steps.get(i + 1).from().toNanos()) : toNanos;
            if (end > start) {
                total += steps.get(i).rate() * (end - start) / NANOS_PER_SECOND;
            }
        }
        return total;
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder();
        for (Step step : steps) {
            text.append(text.length() == 0 ? "" : ",").append(step);
        }
        return text.toString();
    }

    static String formatRate(double rate) {
        return BigDecimal.valueOf(rate).stripTrailingZeros().toPlainString() + "/s";
    }

    static String format(Duration duration) {
        long millis = duration.toMillis();
        return millis % 1000 == 0 ? millis / 1000 + "s" : millis + "ms";
    }

    private static IllegalArgumentException invalid(String part, String expected) {
        return new IllegalArgumentException("\"" + part + "\" (expected: " + expected + ")");
    }
}
