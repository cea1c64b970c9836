package io.sluice.loadtest.load;

import io.sluice.loadtest.cli.DurationConverter;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.TypeConversionException;

/**
 * When a sender retries a deferred message, as an MTA's queue does: {@code 5m,10m,20m} waits 5 minutes after the
 * first deferral, 10 after the second, 20 after the third, and gives the message up (a bounce) if that fourth attempt
 * is deferred too. {@code timeScale} compresses the schedule: at 60, a minute of it passes in a second.
 */
public record RetrySchedule(List<Duration> waits, double timeScale) {

    /** Retries at most per message. */
    static final int MAX_RETRIES = 32;
    /** The fastest a schedule may be compressed, so that a wait is not shorter than the timer's tick. */
    static final double MAX_TIME_SCALE = 100_000;

    public RetrySchedule {
        if (waits == null || waits.isEmpty() || waits.size() > MAX_RETRIES) {
            throw new IllegalArgumentException("retries: " + (waits == null ? 0 : waits.size()) + " (expected: 1-"
                    + MAX_RETRIES + ")");
        }
        waits = List.copyOf(waits);
        for (Duration wait : waits) {
            if (wait.isNegative() || wait.isZero() || wait.compareTo(Duration.ofDays(7)) > 0) {
                throw new IllegalArgumentException("wait: " + wait + " (expected: > 0 and <= 7 days)");
            }
        }
        if (!(timeScale > 0 && timeScale <= MAX_TIME_SCALE)) {
            throw new IllegalArgumentException("time-scale: " + timeScale + " (expected: > 0 and <= "
                    + (long) MAX_TIME_SCALE + ")");
        }
    }

    /**
     * Parses {@code WAIT[,WAIT...]}, each a duration such as {@code 5m} or {@code 30s}.
     *
     * @throws IllegalArgumentException naming the wait that is wrong and what was expected
     */
    public static RetrySchedule parse(String text, double timeScale) {
        String[] parts = text.split(",", -1);
        if (parts.length > MAX_RETRIES) {
            throw new IllegalArgumentException("\"" + text + "\" (expected: at most " + MAX_RETRIES + " waits)");
        }
        List<Duration> waits = new ArrayList<>();
        for (String part : parts) {
            Duration wait;
            try {
                wait = DurationConverter.parse(part.trim());
            } catch (TypeConversionException e) {
                throw invalid(part);
            }
            if (wait.isZero() || wait.compareTo(Duration.ofDays(7)) > 0) {
                throw invalid(part);
            }
            waits.add(wait);
        }
        return new RetrySchedule(waits, timeScale);
    }

    /** Retries before a message is given up. */
    public int retries() {
        return waits.size();
    }

    /** The real time to wait before retry {@code retry} (1 for the first), the schedule's wait scaled down. */
    public long realWaitNanos(int retry) {
        return Math.max(1, (long) (waits.get(retry - 1).toNanos() / timeScale));
    }

    /** The real time from a first deferral to the last retry. */
    public Duration realSpan() {
        long total = 0;
        for (int retry = 1; retry <= waits.size(); retry++) {
            total += realWaitNanos(retry);
        }
        return Duration.ofNanos(total);
    }

    /** A real duration in the schedule's time, e.g. a measured delay. */
    public double scheduleSeconds(long realNanos) {
        return realNanos * timeScale / 1e9;
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder();
        for (Duration wait : waits) {
            text.append(text.length() == 0 ? "" : ",").append(format(wait));
        }
        String scale = BigDecimal.valueOf(timeScale).stripTrailingZeros().toPlainString();
        return text + (timeScale == 1 ? "" : " at time scale " + scale);
    }

    static String format(Duration duration) {
        long millis = duration.toMillis();
        if (millis % 3_600_000 == 0) {
            return millis / 3_600_000 + "h";
        }
        if (millis % 60_000 == 0) {
            return millis / 60_000 + "m";
        }
        return millis % 1000 == 0 ? millis / 1000 + "s" : millis + "ms";
    }

    private static IllegalArgumentException invalid(String part) {
        return new IllegalArgumentException("\"" + part
                + "\" (expected: waits > 0 and <= 7 days with a unit ms, s, m or h, e.g. 5m,10m,20m)");
    }
}
