package io.sluice.config;

import java.time.Duration;
import java.util.Objects;

/**
 * A refill rate such as {@code 500/1s}: {@code tokens} become available, evenly spread, over each {@code period}.
 */
public record Rate(long tokens, Duration period) {

    static final String EXPECTED = "a rate such as 500/1s or 30/1m";

    public Rate {
        if (tokens < 1) {
            throw new IllegalArgumentException("tokens: " + tokens + " (expected: >= 1)");
        }
        Objects.requireNonNull(period, "period");
        if (period.isNegative() || period.isZero()) {
            throw new IllegalArgumentException("period: " + period + " (expected: > 0)");
        }
    }

    /**
     * Parses {@code tokens/duration}, such as {@code 500/1s} or {@code 30/1m}; the duration takes the units of the
     * configuration (ms, s, m, h, d) and a bare unit means one of it ({@code 500/s} is {@code 500/1s}).
     *
     * @throws IllegalArgumentException naming the text and what was expected, such as
     *     {@code "500" (expected: a rate such as 500/1s or 30/1m)}
     */
    public static Rate parse(String text) {
        Objects.requireNonNull(text, "text");
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw Conversion.invalid(text, EXPECTED);
        }
        String count = text.substring(0, slash);
        String per = text.substring(slash + 1);
        if (count.isEmpty() || count.length() > 19 || !count.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw Conversion.invalid(text, EXPECTED);
        }
        long tokens;
        Duration period;
        try {
            tokens = Long.parseLong(count);
            boolean bareUnit = !per.isEmpty() && per.chars().allMatch(c -> c >= 'a' && c <= 'z');
            period = Units.parseDuration(bareUnit ? "1" + per : per);
        } catch (IllegalArgumentException e) {
            // NumberFormatException (too many tokens) is one too.
            throw Conversion.invalid(text, EXPECTED);
        }
        if (tokens < 1) {
            throw Conversion.invalid(text, EXPECTED);
        }
        return new Rate(tokens, period);
    }

    /** Tokens per second, for sizing and reports. */
    public double perSecond() {
        return tokens * 1e9 / period.toNanos();
    }

    /** Returns the text {@link #parse(String)} reads back, such as {@code 500/1s}. */
    @Override
    public String toString() {
        // Parsed periods are whole milliseconds; one built in code may be finer, and toString must not fail.
        return tokens + "/" + (period.getNano() % 1_000_000 == 0 ? Units.formatDuration(period) : period.toString());
    }
}
