package io.sluice.loadtest.check;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The header the generator writes into every message so the sink can prove loss, duplication and corruption:
 * {@code X-Sluice-Check: RUN.SEQ;SHA256}, where RUN names the generator's run, SEQ numbers the message within it,
 * and SHA256 is the hex SHA-256 of the body (the octets after the blank line that ends the headers, without the
 * terminating {@code .CRLF}, dot-stuffing removed).
 */
public record CheckHeader(String run, int seq, byte[] sha256) {

    /** The header's name, as written. */
    public static final String NAME = "X-Sluice-Check";
    private static final Pattern VALUE = Pattern.compile("\\s*([0-9a-z]{1,16})\\.(\\d{1,10});([0-9a-f]{64})\\s*");
    private static final HexFormat HEX = HexFormat.of();

    public CheckHeader {
        if (!run.matches("[0-9a-z]{1,16}")) {
            throw new IllegalArgumentException("run: \"" + run + "\" (expected: 1-16 of [0-9a-z])");
        }
        if (seq < 0) {
            throw new IllegalArgumentException("seq: " + seq + " (expected: >= 0)");
        }
        if (sha256.length != 32) {
            throw new IllegalArgumentException("sha256: " + sha256.length + " bytes (expected: 32)");
        }
        sha256 = sha256.clone();
    }

    @Override
    public byte[] sha256() {
        return sha256.clone();
    }

    /** The whole header line with its CRLF, as it goes into a message. */
    public byte[] line() {
        return (NAME + ": " + run + "." + seq + ";" + HEX.formatHex(sha256) + "\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    /** Whether {@code digest} is the body hash this header announces. */
    public boolean matches(byte[] digest) {
        return java.security.MessageDigest.isEqual(sha256, digest);
    }

    /** Parses a header's value (what follows {@code NAME:}); empty if it is not one the generator wrote. */
    public static Optional<CheckHeader> parseValue(String value) {
        Matcher m = VALUE.matcher(value);
        if (!m.matches()) {
            return Optional.empty();
        }
        long seq = Long.parseLong(m.group(2));
        if (seq > Integer.MAX_VALUE) {
            return Optional.empty();
        }
        return Optional.of(new CheckHeader(m.group(1), (int) seq, HEX.parseHex(m.group(3))));
    }
}
