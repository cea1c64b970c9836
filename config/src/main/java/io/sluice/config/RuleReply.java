package io.sluice.config;

import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The SMTP reply a limit gives when it refuses, such as {@code 451 4.7.1 Busy, try again later}.
 *
 * @param code a 4xx or 5xx reply code
 * @param enhancedCode an RFC 3463 code of the same class, such as 4.7.1
 * @param text the human-readable text, one line
 */
public record RuleReply(int code, String enhancedCode, String text) {

    static final String EXPECTED = "a reply such as 451 4.7.1 Try again later";

    private static final Pattern ENHANCED = Pattern.compile("[245]\\.\\d{1,3}\\.\\d{1,3}");
    private static final Pattern FORM = Pattern.compile("([0-9]{3}) ([0-9.]+) (.*)", Pattern.DOTALL);
    // RFC 5321 §4.5.3.1.5: a reply line is at most 512 octets, CRLF included.
    private static final int MAX_LINE = 510;

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

    /**
     * Parses {@code code enhanced-code text}, such as {@code 451 4.7.1 Try again later}.
     *
     * @throws IllegalArgumentException naming the text and what was expected, such as
     *     {@code "451 Busy" (expected: a reply such as 451 4.7.1 Try again later)}
     */
    public static RuleReply parse(String text) {
        Objects.requireNonNull(text, "text");
        Matcher matcher = FORM.matcher(text);
        if (!matcher.matches() || !ENHANCED.matcher(matcher.group(2)).matches()) {
            throw Conversion.invalid(text, EXPECTED);
        }
        int code = Integer.parseInt(matcher.group(1));
        if (code < 400 || code > 599) {
            throw Conversion.invalid(text, "a 4xx or 5xx reply code, as in 451 4.7.1 Try again later");
        }
        String enhancedCode = matcher.group(2);
        if (enhancedCode.charAt(0) - '0' != code / 100) {
            throw Conversion.invalid(text, "an enhanced code of class " + code / 100 + " for a " + code / 100
                    + "xx reply, such as " + code / 100 + ".7.1");
        }
        String replyText = matcher.group(3);
        // RFC 5321 §4.2: textstring is HT, SP and printable US-ASCII.
        if (replyText.isBlank() || !replyText.chars().allMatch(c -> c == '\t' || (c >= ' ' && c <= '~'))) {
            throw Conversion.invalid(text, "reply text of printable US-ASCII after the codes (RFC 5321 §4.2)");
        }
        if (text.length() > MAX_LINE) {
            throw Conversion.invalid(text, "a reply of at most " + MAX_LINE + " characters (RFC 5321 §4.5.3.1.5)");
        }
        return new RuleReply(code, enhancedCode, replyText);
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
