package io.sluice.config;

import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Turns the text of a YAML scalar into a config value.
 *
 * @param expected what a valid value looks like, for messages about a missing value or one of the wrong type
 * @param parse the conversion; it throws {@link IllegalArgumentException} with a message such as
 *     {@code "x" (expected: ...)}, made by {@link #invalid(String, String)}
 */
record Conversion<T>(String expected, Function<String, T> parse) {

    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]*");
    private static final int MAX_QUOTED = 80;

    static final String NAME_EXPECTED = "a name of a-z, 0-9 and '-', not starting with '-'";

    static final Conversion<String> NAME_TEXT = new Conversion<>(NAME_EXPECTED, text -> {
        if (!NAME.matcher(text).matches()) {
            throw invalid(text, NAME_EXPECTED);
        }
        return text;
    });

    // RFC 5321 §4.1.2: the greeting and EHLO reply carry a domain, which follows host name syntax.
    /** The name of an environment variable that holds a secret (admin tokens, the cluster secret). */
    static final Conversion<String> ENV_NAME = new Conversion<>(AdminConfig.ENV_NAME_EXPECTED, text -> {
        if (!AdminConfig.isEnvName(text)) {
            throw invalid(text, AdminConfig.ENV_NAME_EXPECTED);
        }
        return text;
    });
    static final Conversion<String> HOST_NAME = new Conversion<>("a host name such as mx.example.net", text -> {
        if (!Addresses.isHostName(text)) {
            throw invalid(text, "a host name such as mx.example.net");
        }
        return text;
    });

    static final Conversion<HostPort> HOST_PORT =
            new Conversion<>("host:port, such as 127.0.0.1:25, [::1]:25 or mx.example:25", HostPort::parse);

    static final Conversion<Cidr> CIDR = new Conversion<>("a CIDR such as 10.0.0.0/8", Cidr::parse);

    static final Conversion<Duration> DURATION = new Conversion<>(Units.DURATION_EXPECTED, Units::parseDuration);

    /** A delay that may be zero ({@code 0s}), for waits that are off by default. */
    static final Conversion<Duration> DURATION_OR_ZERO =
            new Conversion<>(Units.DURATION_OR_ZERO_EXPECTED, Units::parseDurationOrZero);

    static final Conversion<Rate> RATE = new Conversion<>(Rate.EXPECTED, Rate::parse);

    static final Conversion<RuleReply> REPLY = new Conversion<>(RuleReply.EXPECTED, RuleReply::parse);

    static final String DOMAIN_EXPECTED = "a domain such as example.com, or .example.com for any subdomain of it";

    /** A host name to match a domain exactly, or with a leading dot to match any of its subdomains. */
    static final Conversion<String> DOMAIN_PATTERN = new Conversion<>(DOMAIN_EXPECTED, text -> {
        String name = text.startsWith(".") ? text.substring(1) : text;
        if (!Addresses.isHostName(name)) {
            throw invalid(text, DOMAIN_EXPECTED);
        }
        return text;
    });

    static final Conversion<Boolean> BOOLEAN = new Conversion<>("true or false", text -> switch (text) {
        case "true", "True", "TRUE" -> true;
        case "false", "False", "FALSE" -> false;
        default -> throw invalid(text, "true or false");
    });

    /** Any text; for references checked against other values once everything is read. */
    static Conversion<String> text(String expected) {
        return new Conversion<>(expected, text -> text);
    }

    /** A byte count of at least {@code min}; {@code why} says where the minimum comes from. */
    static Conversion<Long> sizeAtLeast(long min, String why) {
        String expected = "a size of at least " + Units.formatSize(min) + "; " + why;
        return new Conversion<>(Units.SIZE_EXPECTED, text -> {
            long size = Units.parseSize(text);
            if (size < min) {
                throw invalid(text, expected);
            }
            return size;
        });
    }

    /** A decimal integer of at least {@code min}; {@code why}, unless empty, says where the minimum comes from. */
    static Conversion<Integer> integerAtLeast(int min, String why) {
        String expected = "an integer >= " + min + (why.isEmpty() ? "" : "; " + why);
        return new Conversion<>(expected, text -> (int) decimal(text, min, Integer.MAX_VALUE, expected));
    }

    /** A decimal integer from {@code min} to {@code max}, such as a prefix length. */
    static Conversion<Integer> integerBetween(int min, int max) {
        String expected = "an integer " + min + "-" + max;
        return new Conversion<>(expected, text -> (int) decimal(text, min, max, expected));
    }

    /** A decimal integer of at least {@code min}, up to the largest long, for counts such as bytes. */
    static Conversion<Long> longAtLeast(long min) {
        String expected = "an integer >= " + min;
        return new Conversion<>(expected, text -> decimal(text, min, Long.MAX_VALUE, expected));
    }

    /** A decimal integer from {@code min} to {@code max}, for counts such as a filter's capacity. */
    static Conversion<Long> longBetween(long min, long max) {
        String expected = "an integer " + min + "-" + max;
        return new Conversion<>(expected, text -> decimal(text, min, max, expected));
    }

    private static long decimal(String text, long min, long max, String expected) {
        if (text.isEmpty() || text.length() > 19 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw invalid(text, expected);
        }
        long value;
        try {
            value = Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw invalid(text, expected);
        }
        if (value < min || value > max) {
            throw invalid(text, expected);
        }
        return value;
    }

    /**
     * A decimal (as {@link BigDecimal} reads it: no {@code d} suffix, no hexadecimal) above 0 and at most {@code max},
     * or below it when {@code maxIncluded} is false.
     */
    static Conversion<Double> factor(BigDecimal max, boolean maxIncluded, String expected) {
        return new Conversion<>(expected, text -> {
            BigDecimal factor;
            try {
                factor = new BigDecimal(text);
            } catch (NumberFormatException e) {
                throw invalid(text, expected);
            }
            int againstMax = factor.compareTo(max);
            if (factor.signum() <= 0 || againstMax > 0 || (againstMax == 0 && !maxIncluded)) {
                throw invalid(text, expected);
            }
            return factor.doubleValue();
        });
    }

    /** One of the enum's constants, written in kebab case ({@code CLIENT_IP} as {@code client-ip}). */
    static <E extends Enum<E>> Conversion<E> oneOf(Class<E> type) {
        return oneOf(List.of(type.getEnumConstants()));
    }

    /** One of some of an enum's constants, written in kebab case, in the order given. */
    static <E extends Enum<E>> Conversion<E> oneOf(List<E> constants) {
        String expected = "one of: " + constants.stream().map(Conversion::kebabCase).collect(Collectors.joining(", "));
        return new Conversion<>(expected, text -> {
            for (E constant : constants) {
                if (kebabCase(constant).equals(text)) {
                    return constant;
                }
            }
            throw invalid(text, expected);
        });
    }

    /** The name of an enum constant as written in YAML. */
    static String kebabCase(Enum<?> constant) {
        return constant.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** A readable regular file; a relative path is resolved against {@code baseDir}. */
    static Conversion<Path> readableFile(Path baseDir) {
        String expected = "the path of a readable file";
        return new Conversion<>(expected, text -> {
            Path path;
            try {
                path = baseDir.resolve(text).toAbsolutePath().normalize();
            } catch (InvalidPathException e) {
                throw invalid(text, expected);
            }
            if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
                throw invalid(text, expected + "; " + path + " is not one");
            }
            return path;
        });
    }

    /** Returns the exception for a value that is not what was expected: {@code "text" (expected: ...)}. */
    static IllegalArgumentException invalid(String text, String expected) {
        return new IllegalArgumentException(quote(text) + " (expected: " + expected + ")");
    }

    /** Quotes a found value for a one-line message, escaping control characters and shortening long values. */
    static String quote(String text) {
        StringBuilder quoted = new StringBuilder("\"");
        int end = Math.min(text.length(), MAX_QUOTED);
        for (int i = 0; i < end; i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> quoted.append("\\\"");
                case '\\' -> quoted.append("\\\\");
                case '\n' -> quoted.append("\\n");
                case '\r' -> quoted.append("\\r");
                case '\t' -> quoted.append("\\t");
                default -> {
                    if (Character.isISOControl(c)) {
                        quoted.append(String.format("\\u%04x", (int) c));
                    } else {
                        quoted.append(c);
                    }
                }
            }
        }
        if (end < text.length()) {
            quoted.append("...");
        }
        return quoted.append('"').toString();
    }
}
