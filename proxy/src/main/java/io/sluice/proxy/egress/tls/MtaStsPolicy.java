package io.sluice.proxy.egress.tls;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A destination's MTA-STS policy (RFC 8461 §3.2): how strictly its mail exchangers are held to TLS, which MX hosts
 * are its own, and how long the policy may be kept.
 *
 * @param mode what a failure means
 * @param mx the MX host patterns, lower case, each a host name or {@code *.} and a domain
 * @param maxAge how long the policy may be cached
 */
public record MtaStsPolicy(Mode mode, List<String> mx, Duration maxAge) {

    /** RFC 8461 §3.2: at most 31557600 seconds (about one year). */
    public static final long MAX_AGE_LIMIT = 31_557_600L;

    // RFC 1035 labels (letters, digits, hyphens, not at either end), at most 63 octets each.
    // RFC 8461 §3.2: sts-policy-max-age-value = 1*10DIGIT.
    private static final Pattern MAX_AGE = Pattern.compile("[0-9]{1,10}");

    /** What the sender does when a mail exchanger fails the policy. */
    public enum Mode {
        /** No delivery to a mail exchanger that fails (RFC 8461 §5). */
        ENFORCE,
        /** Delivery all the same; the failure is reported (RFC 8460). */
        TESTING,
        /** The domain withdrew its policy: as if it had none. */
        NONE;

        public String text() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public MtaStsPolicy {
        Objects.requireNonNull(mode, "mode");
        mx = List.copyOf(mx);
        Objects.requireNonNull(maxAge, "maxAge");
    }

    /** A policy body that is not one; the message says which line and why. */
    public static final class InvalidPolicyException extends Exception {
        InvalidPolicyException(String message) {
            super(message);
        }
    }

    /**
     * Reads a policy body strictly: lines end with LF or CRLF; {@code version: STSv1} first; exactly one
     * {@code mode} and {@code max_age}; at least one {@code mx} unless the mode is {@code none}; fields this version
     * does not know are ignored (RFC 8461 §3.2).
     */
    public static MtaStsPolicy parse(String body) throws InvalidPolicyException {
        String[] lines = body.split("\n", -1);
        String version = null;
        Mode mode = null;
        Duration maxAge = null;
        List<String> mx = new ArrayList<>();
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            int number = i + 1;
            if (line.endsWith("\r")) {
                line = line.substring(0, line.length() - 1);
            }
            if (line.isEmpty()) {
                if (i == lines.length - 1) {
                    // What follows the last line end.
                    continue;
                }
                throw invalid(number, "an empty line (expected: name: value)");
            }
            if (line.indexOf('\r') >= 0) {
                throw invalid(number, "a bare CR (expected: lines ending in LF or CRLF)");
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw invalid(number, "\"" + printable(line) + "\" (expected: name: value)");
            }
            String name = line.substring(0, colon);
            String value = strip(line.substring(colon + 1));
            if (i == 0 && !name.equals("version")) {
                throw invalid(number, "\"" + printable(name) + "\" (expected: version first)");
            }
            switch (name) {
                case "version" -> {
                    if (version != null) {
                        throw invalid(number, "version repeated");
                    }
                    if (!value.equals("STSv1")) {
                        throw invalid(number, "version \"" + printable(value) + "\" (expected: STSv1)");
                    }
                    version = value;
                }
                case "mode" -> {
                    if (mode != null) {
                        throw invalid(number, "mode repeated");
                    }
                    mode = switch (value) {
                        case "enforce" -> Mode.ENFORCE;
                        case "testing" -> Mode.TESTING;
                        case "none" -> Mode.NONE;
                        default -> throw invalid(number, "mode \"" + printable(value)
                                + "\" (expected: enforce, testing or none)");
                    };
                }
                case "max_age" -> {
                    if (maxAge != null) {
                        throw invalid(number, "max_age repeated");
                    }
                    if (!MAX_AGE.matcher(value).matches() || Long.parseLong(value) > MAX_AGE_LIMIT) {
                        throw invalid(number, "max_age \"" + printable(value) + "\" (expected: seconds, 0-"
                                + MAX_AGE_LIMIT + ")");
                    }
                    maxAge = Duration.ofSeconds(Long.parseLong(value));
                }
                case "mx" -> {
                    String pattern = value.toLowerCase(Locale.ROOT);
                    if (!HostNames.isPattern(pattern)) {
                        throw invalid(number, "mx \"" + printable(value)
                                + "\" (expected: a host name, or *. and a domain)");
                    }
                    mx.add(pattern);
                }
                default -> {
                    // RFC 8461 §3.2: fields of later versions are ignored, but their names are still well formed.
                    if (!name.chars().allMatch(c -> c < 128 && (Character.isLetterOrDigit(c) || c == '_'
                            || c == '-' || c == '.'))) {
                        throw invalid(number, "\"" + printable(name) + "\" (expected: a field name)");
                    }
                }
            }
        }
        if (version == null) {
            throw invalid(1, "no version (expected: version: STSv1)");
        }
        if (mode == null) {
            throw new InvalidPolicyException("no mode (expected: mode: enforce, testing or none)");
        }
        if (maxAge == null) {
            throw new InvalidPolicyException("no max_age (expected: max_age: seconds)");
        }
        if (mx.isEmpty() && mode != Mode.NONE) {
            throw new InvalidPolicyException("no mx (expected: at least one in mode " + mode.text() + ")");
        }
        return new MtaStsPolicy(mode, mx, maxAge);
    }

    /** Whether the MX host is one the policy names (RFC 8461 §4.1). */
    public boolean matches(String host) {
        for (String pattern : mx) {
            if (HostNames.matches(pattern, host)) {
                return true;
            }
        }
        return false;
    }

    /** The policy as the policy host serves it, for the cache. */
    public String text() {
        StringBuilder text = new StringBuilder("version: STSv1\r\nmode: ").append(mode.text()).append("\r\n");
        for (String pattern : mx) {
            text.append("mx: ").append(pattern).append("\r\n");
        }
        return text.append("max_age: ").append(maxAge.toSeconds()).append("\r\n").toString();
    }

    private static String strip(String value) {
        int start = 0;
        int end = value.length();
        while (start < end && (value.charAt(start) == ' ' || value.charAt(start) == '\t')) {
            start++;
        }
        while (end > start && (value.charAt(end - 1) == ' ' || value.charAt(end - 1) == '\t')) {
            end--;
        }
        return value.substring(start, end);
    }

    private static InvalidPolicyException invalid(int line, String why) {
        return new InvalidPolicyException("line " + line + ": " + why);
    }

    /** The text with anything but printable ASCII escaped, and at most 64 characters of it. */
    static String printable(String text) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < text.length() && out.length() < 64; i++) {
            char c = text.charAt(i);
            out.append(c >= 0x20 && c < 0x7f ? String.valueOf(c) : String.format("\\u%04x", (int) c));
        }
        return out.length() >= 64 && text.length() > 64 ? out + "..." : out.toString();
    }
}
