package io.sluice.loadtest.load;

import io.sluice.loadtest.cli.DurationConverter;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.TypeConversionException;

/**
 * An open-loop arrival schedule: phases of a constant rate ({@code 200/s:10s}) or a linear ramp
 * ({@code 200/s..2000/s:10s}), one after the other. Sessions start at the schedule's rate whatever the server
 * answers, as mail from the internet does.
 */
public record Schedule(List<Phase> phases) {

    /** Highest rate accepted, far beyond what one machine can offer; it keeps arithmetic in range. */
    static final double MAX_RATE = 1_000_000;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    private static final String RATE = "(\\d{1,7}(?:\\.\\d{1,3})?)/s";
    private static final Pattern PHASE = Pattern.compile(RATE + "(?:\\.\\." + RATE + ")?:(\\S+)");

    /** One phase: the rate goes linearly from {@code fromRate} to {@code toRate} sessions/s over its duration. */
    public record Phase(double fromRate, double toRate, Duration duration) {
        public Phase {
            checkRate(fromRate);
            checkRate(toRate);
            if (duration == null || duration.isZero() || duration.isNegative()) {
                throw new IllegalArgumentException("duration: " + duration + " (expected: > 0)");
            }
        }

        /** Sessions due in the first {@code nanos} of this phase (the area under the rate). */
        double arrivalsBy(long nanos) {
            double t = Math.min(nanos, duration.toNanos()) / (double) NANOS_PER_SECOND;
            double d = duration.toNanos() / (double) NANOS_PER_SECOND;
            return fromRate * t + (toRate - fromRate) * t * t / (2 * d);
        }

        double rateAt(long nanos) {
            double share = Math.min(1, nanos / (double) duration.toNanos());
            return fromRate + (toRate - fromRate) * share;
        }

        @Override
        public String toString() {
            String rates = fromRate == toRate ? rate(fromRate) : rate(fromRate) + ".." + rate(toRate);
            return rates + ":" + format(duration);
        }
    }

    public Schedule {
        if (phases == null || phases.isEmpty()) {
            throw new IllegalArgumentException("phases: empty (expected: at least one)");
        }
        phases = List.copyOf(phases);
    }

    /** One phase of a constant rate. */
    public static Schedule constant(double rate, Duration duration) {
        return new Schedule(List.of(new Phase(rate, rate, duration)));
    }

    /**
     * Parses {@code PHASE[,PHASE...]} where a phase is {@code RATE:DURATION} or {@code RATE..RATE:DURATION},
     * a rate {@code N/s} (up to three decimals) and a duration such as {@code 500ms}, {@code 10s} or {@code 2m}.
     *
     * @throws IllegalArgumentException naming the phase that is wrong and what was expected
     */
    public static Schedule parse(String text) {
        List<Phase> phases = new ArrayList<>();
        for (String part : text.split(",", -1)) {
            Matcher m = PHASE.matcher(part.trim());
            if (!m.matches()) {
                throw invalid(part, "RATE/s:DURATION or RATE/s..RATE/s:DURATION, e.g. 200/s:10s");
            }
            double from = Double.parseDouble(m.group(1));
            double to = m.group(2) == null ? from : Double.parseDouble(m.group(2));
            Duration duration;
            try {
                duration = DurationConverter.parse(m.group(3));
            } catch (TypeConversionException e) {
                throw invalid(part, "a duration with a unit ms, s, m or h, e.g. 10s");
            }
            try {
                phases.add(new Phase(from, to, duration));
            } catch (IllegalArgumentException e) {
                throw invalid(part, "rates up to " + rate(MAX_RATE) + " and a duration > 0");
            }
        }
        return new Schedule(phases);
    }

    /** The whole schedule's length. */
    public Duration duration() {
        Duration total = Duration.ZERO;
        for (Phase phase : phases) {
            total = total.plus(phase.duration());
        }
        return total;
    }

    /** Sessions due in the first {@code nanos} of the schedule; constant after its end. */
    public double arrivalsBy(long nanos) {
        double total = 0;
        long left = nanos;
        for (Phase phase : phases) {
            if (left <= 0) {
                break;
            }
            total += phase.arrivalsBy(left);
            left -= phase.duration().toNanos();
        }
        return total;
    }

    /** Sessions the whole schedule starts, rounded down. */
    public long totalArrivals() {
        return (long) Math.floor(arrivalsBy(duration().toNanos()) + 1e-9);
    }

    /** The rate at {@code nanos} into the schedule; 0 after its end. */
    public double rateAt(long nanos) {
        long left = nanos;
        for (Phase phase : phases) {
            if (left < phase.duration().toNanos()) {
                return phase.rateAt(Math.max(0, left));
            }
            left -= phase.duration().toNanos();
        }
        return 0;
    }

    /** The highest rate of any phase. */
    public double peakRate() {
        double peak = 0;
        for (Phase phase : phases) {
            peak = Math.max(peak, Math.max(phase.fromRate(), phase.toRate()));
        }
        return peak;
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder();
        for (Phase phase : phases) {
            if (text.length() > 0) {
                text.append(',');
            }
            text.append(phase);
        }
        return text.toString();
    }

    private static void checkRate(double rate) {
        if (!(rate >= 0 && rate <= MAX_RATE)) {
            throw new IllegalArgumentException("rate: " + rate + " (expected: 0-" + rate(MAX_RATE) + ")");
        }
    }

    private static String rate(double rate) {
        return BigDecimal.valueOf(rate).stripTrailingZeros().toPlainString() + "/s";
    }

    private static String format(Duration duration) {
        long millis = duration.toMillis();
        return millis % 1000 == 0 ? millis / 1000 + "s" : millis + "ms";
    }

    private static IllegalArgumentException invalid(String part, String expected) {
        return new IllegalArgumentException("\"" + part + "\" (expected: " + expected + ")");
    }
}
