package io.sluice.config;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The SMTP reply a limit gives when it refuses, such as {@code 451 4.7.1 Busy, try again later}.
 *
 * @param code a 4xx or 5xx reply code
 * @param enhancedCode an RFC 3463 code of the same class, such as 4.7.1
 * @param text the human-readable text, one line
 */
public record RuleReply(int code, String enhancedCode, String text) {

    private static final Pattern ENHANCED = Pattern.compile("[245]\\.\\d{1,3}\\.\\d{1,3}");

    public RuleReply {
        if (code < 400 || code > 599) {
            throw new IllegalArgumentException("code: " + code + " (expected: 4xx or 5xx)");
        }
        Objects.requireNonNull(enhancedCode, "enhancedCode");
        if (!ENHANCED.matcher(enhancedCode).matches() || enhancedCode.charAt(0) - '0' != code / 100) {
            throw new IllegalArgumentException("enhancedCode: " + enhancedCode + " (expected: " + code / 100
                    + ".x.y, the class of the reply code)");
        }
        Objects.requireNonNull(text, "text");
        if (text.isBlank() || text.indexOf('\r') >= 0 || text.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("text: (expected: one line of text)");
        }
    }

    /** RFC 5321 §3.8: 421 is the server closing the connection. */
    public boolean closesConnection() {
        return code == 421;
    }

    @Override
    public String toString() {
        return code + " " + enhancedCode + " " + text;
    }
}
