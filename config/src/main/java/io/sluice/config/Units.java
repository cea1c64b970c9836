package io.sluice.config;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads and writes the sizes ({@code 50MiB}) and durations ({@code 10s}) used in configuration files. */
final class Units {

    static final String SIZE_EXPECTED =
            "a size such as 52428800, 512KiB or 50MiB (units: B, KB, MB, GB, KiB, MiB, GiB)";
    static final String DURATION_EXPECTED = "a positive duration such as 500ms, 10s, 5m, 1h or 2d";
    static final String DURATION_OR_ZERO_EXPECTED = "a duration such as 0s, 500ms, 10s, 5m, 1h or 2d";

    private static final Pattern SIZE = Pattern.compile("([0-9]+)(B|KB|MB|GB|KiB|MiB|GiB)?");
    private static final Pattern DURATION = Pattern.compile("([0-9]+)(ms|s|m|h|d)");

    // Largest first, so that formatting picks the shortest exact form.
    private static final Map<String, Long> SIZE_UNITS = new LinkedHashMap<>();
    private static final Map<String, ChronoUnit> DURATION_UNITS = new LinkedHashMap<>();

    static {
        SIZE_UNITS.put("GiB", 1L << 30);
        SIZE_UNITS.put("MiB", 1L << 20);
        SIZE_UNITS.put("KiB", 1L << 10);
        SIZE_UNITS.put("GB", 1_000_000_000L);
        SIZE_UNITS.put("MB", 1_000_000L);
        SIZE_UNITS.put("KB", 1_000L);
        SIZE_UNITS.put("B", 1L);
        DURATION_UNITS.put("d", ChronoUnit.DAYS);
        DURATION_UNITS.put("h", ChronoUnit.HOURS);
        DURATION_UNITS.put("m", ChronoUnit.MINUTES);
        DURATION_UNITS.put("s", ChronoUnit.SECONDS);
        DURATION_UNITS.put("ms", ChronoUnit.MILLIS);
    }

    private Units() {
    }

    /** Parses a byte count, bare or with a unit; KB, MB and GB are powers of 1000, KiB, MiB and GiB of 1024. */
    static long parseSize(String text) {
        Matcher matcher = SIZE.matcher(text);
        if (!matcher.matches()) {
            throw Conversion.invalid(text, SIZE_EXPECTED);
        }
        String unit = matcher.group(2) == null ? "B" : matcher.group(2);
        try {
            return Math.multiplyExact(Long.parseLong(matcher.group(1)), SIZE_UNITS.get(unit));
        } catch (ArithmeticException | NumberFormatException e) {
            throw Conversion.invalid(text, "a size below 8 EiB");
        }
    }

    /** Formats a byte count with the largest unit that divides it exactly; the inverse of {@link #parseSize}. */
    static String formatSize(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("bytes: " + bytes + " (expected: >= 0)");
        }
        if (bytes == 0) {
            return "0B";
        }
        for (Map.Entry<String, Long> unit : SIZE_UNITS.entrySet()) {
            if (bytes % unit.getValue() == 0) {
                return bytes / unit.getValue() + unit.getKey();
            }
        }
        throw new AssertionError("every size is a whole number of bytes");
    }

    /** Parses a positive whole number followed by a unit: ms, s, m, h or d. */
    static Duration parseDuration(String text) {
        Matcher matcher = DURATION.matcher(text);
        if (!matcher.matches()) {
            throw Conversion.invalid(text, DURATION_EXPECTED);
        }
        Duration duration;
        try {
            duration = Duration.of(Long.parseLong(matcher.group(1)), DURATION_UNITS.get(matcher.group(2)));
        } catch (ArithmeticException | NumberFormatException e) {
            throw Conversion.invalid(text, "a duration that fits in a Duration");
        }
        if (duration.isZero()) {
            throw Conversion.invalid(text, DURATION_EXPECTED);
        }
        return duration;
    }

    /** Parses a duration like {@link #parseDuration}, but also zero of any unit ({@code 0s}, {@code 0ms}). */
    static Duration parseDurationOrZero(String text) {
        Matcher matcher = DURATION.matcher(text);
        if (matcher.matches() && matcher.group(1).chars().allMatch(c -> c == '0')) {
            return Duration.ZERO;
        }
        try {
            return parseDuration(text);
        } catch (IllegalArgumentException e) {
            throw Conversion.invalid(text, DURATION_OR_ZERO_EXPECTED);
        }
    }

    /** Formats a positive whole number of milliseconds with the largest exact unit; the inverse of parseDuration. */
    static String formatDuration(Duration duration) {
        if (duration.isNegative() || duration.isZero() || duration.getNano() % 1_000_000 != 0) {
            throw new IllegalArgumentException(
                    "duration: " + duration + " (expected: a positive whole number of milliseconds)");
        }
        for (Map.Entry<String, ChronoUnit> unit : DURATION_UNITS.entrySet()) {
            Duration one = unit.getValue().getDuration();
            if (isMultiple(duration, one)) {
                return duration.dividedBy(one) + unit.getKey();
            }
        }
        throw new AssertionError("every whole number of milliseconds is a multiple of 1ms");
    }

    // Compares seconds and nanos separately: converting to millis would overflow for the longest durations.
    private static boolean isMultiple(Duration duration, Duration unit) {
        if (unit.getSeconds() == 0) {
            return duration.getNano() % unit.getNano() == 0;
        }
        return duration.getNano() == 0 && duration.getSeconds() % unit.getSeconds() == 0;
    }
}
