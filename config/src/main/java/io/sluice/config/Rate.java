package io.sluice.config;

import java.time.Duration;
import java.util.Objects;

/**
 * A refill rate such as {@code 500/1s}: {@code tokens} become available, evenly spread, over each {@code period}.
 */
public record Rate(long tokens, Duration period) {

    public Rate {
        if (tokens < 1) {
            throw new IllegalArgumentException("tokens: " + tokens + " (expected: >= 1)");
        }
        Objects.requireNonNull(period, "period");
        if (period.isNegative() || period.isZero()) {
            throw new IllegalArgumentException("period: " + period + " (expected: > 0)");
        }
    }

    /** Tokens per second, for sizing and reports. */
    public double perSecond() {
        return tokens * 1e9 / period.toNanos();
    }

    @Override
    public String toString() {
        return tokens + "/" + Units.formatDuration(period);
    }
}
