package io.sluice.proxy.smtp;

import io.netty.buffer.ByteBufUtil;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Strict parser for the arguments of MAIL, RCPT and HELO/EHLO (RFC 5321 §4.1.2, §4.1.3),
 * with the length limits of RFC 5321 §4.5.3.1 and the UTF-8 extensions of RFC 6531 §3.3.
 */
public final class PathParser {

    // RFC 5321 §4.5.3.1.1-3
    static final int MAX_LOCAL_PART = 64;
    static final int MAX_DOMAIN = 255;
    static final int MAX_PATH = 256;

    // RFC 5321 §4.1.2: esmtp-keyword and esmtp-value; compiled once, as every MAIL and RCPT checks them.
    private static final Pattern ESMTP_KEYWORD = Pattern.compile("[A-Za-z0-9][A-Za-z0-9-]*");
    private static final Pattern ESMTP_VALUE = Pattern.compile("[\\x21-\\x3c\\x3e-\\x7e]+");

    // The refusals of a malformed path, made once rather than for every MAIL and RCPT.
    private static final SmtpReply MAIL_SYNTAX = SmtpReply.of(501, "5.5.4", "Syntax: MAIL FROM:<address>");
    private static final SmtpReply BAD_SENDER = SmtpReply.of(501, "5.1.7", "Bad sender address syntax");
    private static final SmtpReply RCPT_SYNTAX = SmtpReply.of(501, "5.5.4", "Syntax: RCPT TO:<address>");
    private static final SmtpReply BAD_RECIPIENT = SmtpReply.of(501, "5.1.3", "Bad recipient address syntax");

    /** Either a path or the reply that refuses it. */
    public record Result(MailPath path, SmtpReply error) {
        static Result ok(MailPath path) {
            return new Result(path, null);
        }

        static Result error(SmtpReply error) {
            return new Result(null, error);
        }

        public boolean isOk() {
            return path != null;
        }
    }

    private final String text;
    private final boolean utf8;
    private int pos;
    private int mailboxStart;

    private PathParser(String text, boolean utf8) {
        this.text = text;
        this.utf8 = utf8;
    }

    /** Parses {@code FROM:<path> [params]}; the null path is allowed. */
    public static Result parseMailFrom(String argument) {
        // RFC 6531 §3.4: the SMTPUTF8 parameter on MAIL itself allows UTF-8 in the reverse-path.
        return parse(argument, "FROM:", true, false, MAIL_SYNTAX, BAD_SENDER);
    }

    /** Parses {@code TO:<path> [params]}; {@code utf8} when the transaction declared SMTPUTF8. */
    public static Result parseRcptTo(String argument, boolean utf8) {
        return parse(argument, "TO:", false, utf8, RCPT_SYNTAX, BAD_RECIPIENT);
    }

    /** Whether the argument of HELO/EHLO is a domain or an address literal (RFC 5321 §4.1.1.1). */
    public static boolean isValidHeloDomain(String argument) {
        if (argument.isEmpty() || octets(argument) > MAX_DOMAIN || !CommandParser.isAscii(argument)) {
            return false;
        }
        PathParser parser = new PathParser(argument, false);
        return parser.domainOrLiteral() && parser.atEnd();
    }

    private static Result parse(String argument, String prefix, boolean reverse, boolean utf8Declared,
                                SmtpReply usage, SmtpReply badAddress) {
        if (!argument.regionMatches(true, 0, prefix, 0, prefix.length())) {
            return Result.error(usage);
        }
        // The grammar admits UTF-8 here; whether it was allowed is decided once the parameters are known.
        PathParser parser = new PathParser(argument, true);
        parser.pos = prefix.length();
        // Widespread and harmless: a space after the colon (Postfix accepts it too).
        while (parser.peek() == ' ') {
            parser.pos++;
        }
        int pathStart = parser.pos;
        if (parser.peek() != '<') {
            return Result.error(usage);
        }
        parser.pos++;
        String address;
        if (parser.peek() == '>') {
            if (!reverse) {
                return Result.error(badAddress);
            }
            address = "";
        } else {
            // The path ends where the mailbox does: a quoted local part may itself contain '>'.
            SmtpReply error = parser.mailboxInPath(badAddress, reverse);
            if (error != null) {
                return Result.error(error);
            }
            if (parser.peek() != '>') {
                return Result.error(badAddress);
            }
            address = argument.substring(parser.mailboxStart, parser.pos);
        }
        parser.pos++;
        String path = argument.substring(pathStart, parser.pos);
        if (octets(path) > MAX_PATH) {
            return Result.error(SmtpReply.of(501, badAddress.lines().get(0).substring(0, 5), "Path too long"));
        }
        Map<String, String> parameters = parser.parameters();
        if (parameters == null) {
            return Result.error(SmtpReply.of(501, "5.5.4", "Bad parameter syntax"));
        }
        if (!CommandParser.isAscii(path) && !utf8Declared && !parameters.containsKey("SMTPUTF8")) {
            return Result.error(SmtpReply.of(553, "5.6.7", "Non-ASCII address requires SMTPUTF8"));
        }
        return Result.ok(new MailPath(address, parameters));
    }

    private SmtpReply mailboxInPath(SmtpReply badAddress, boolean reverse) {
        // RFC 5321 §4.1.2: an obsolete source route "@a,@b:" is accepted and ignored.
        if (peek() == '@') {
            while (peek() == '@') {
                pos++;
                if (!domain()) {
                    return badAddress;
                }
                if (peek() == ',') {
                    pos++;
                }
            }
            if (peek() != ':') {
                return badAddress;
            }
            pos++;
        }
        mailboxStart = pos;
        int localStart = pos;
        if (!localPart()) {
            return badAddress;
        }
        int localOctets = ByteBufUtil.utf8Bytes(text, localStart, pos);
        if (peek() != '@') {
            // RFC 5321 §4.1.1.3: "<Postmaster>" without a domain is a valid recipient.
            boolean postmaster = !reverse && text.substring(localStart, pos).equalsIgnoreCase("postmaster");
            return postmaster ? null : badAddress;
        }
        if (localOctets > MAX_LOCAL_PART) {
            return SmtpReply.of(501, badAddress.lines().get(0).substring(0, 5), "Local part too long");
        }
        pos++;
        int domainStart = pos;
        if (!domainOrLiteral()) {
            return badAddress;
        }
        if (ByteBufUtil.utf8Bytes(text, domainStart, pos) > MAX_DOMAIN) {
            return SmtpReply.of(501, badAddress.lines().get(0).substring(0, 5), "Domain too long");
        }
        return null;
    }

    private boolean localPart() {
        if (peek() == '"') {
            pos++;
            while (pos < text.length() && text.charAt(pos) != '"') {
                char c = text.charAt(pos);
                if (c == '\\') {
                    pos++;
                    if (pos >= text.length() || text.charAt(pos) < 32 || text.charAt(pos) > 126) {
                        return false;
                    }
                } else if (!(c >= 32 && c <= 126 && c != '\\') && !(utf8 && c > 127)) {
                    return false;
                }
                pos++;
            }
            if (peek() != '"') {
                return false;
            }
            pos++;
            return true;
        }
        return dotString();
    }

    private boolean dotString() {
        if (!atom()) {
            return false;
        }
        while (peek() == '.') {
            pos++;
            if (!atom()) {
                return false;
            }
        }
        return true;
    }

    private boolean atom() {
        int start = pos;
        while (pos < text.length() && isAtext(text.charAt(pos))) {
            pos++;
        }
        return pos > start;
    }

    private boolean isAtext(char c) {
        // RFC 5322 §3.2.3 atext; RFC 6531 §3.3 adds UTF8-non-ascii.
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || "!#$%&'*+-/=?^_`{|}~".indexOf(c) >= 0 || (utf8 && c > 127);
    }

    private boolean domainOrLiteral() {
        return peek() == '[' ? addressLiteral() : domain();
    }

    private boolean domain() {
        if (!subDomain()) {
            return false;
        }
        while (peek() == '.' && pos + 1 < text.length() && isLetDig(text.charAt(pos + 1))) {
            pos++;
            if (!subDomain()) {
                return false;
            }
        }
        return true;
    }

    private boolean subDomain() {
        // sub-domain = Let-dig [Ldh-str]: no leading or trailing hyphen.
        if (pos >= text.length() || !isLetDig(text.charAt(pos))) {
            return false;
        }
        int start = pos;
        while (pos < text.length() && (isLetDig(text.charAt(pos)) || text.charAt(pos) == '-')) {
            pos++;
        }
        return text.charAt(pos - 1) != '-' && pos > start;
    }

    private boolean isLetDig(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || (utf8 && c > 127);
    }

    private boolean addressLiteral() {
        int close = text.indexOf(']', pos);
        if (close < 0) {
            return false;
        }
        String literal = text.substring(pos + 1, close);
        pos = close + 1;
        if (literal.regionMatches(true, 0, "IPv6:", 0, 5)) {
            return isIpv6(literal.substring(5));
        }
        if (literal.matches("[0-9.]+")) {
            return isIpv4(literal);
        }
        // General-address-literal: Standardized-tag ":" 1*dcontent
        return literal.matches("[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?:[\\x21-\\x5a\\x5e-\\x7e]+");
    }

    static boolean isIpv4(String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            return false;
        }
        for (String part : parts) {
            if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(Character::isDigit)
                    || Integer.parseInt(part) > 255) {
                return false;
            }
        }
        return true;
    }

    static boolean isIpv6(String text) {
        if (!text.matches("[0-9A-Fa-f:.]{2,45}") || !text.contains(":")) {
            return false;
        }
        try {
            // Only a literal reaches here (the pattern above), so no name is ever looked up.
            return java.net.InetAddress.getByName("[" + text + "]") instanceof java.net.Inet6Address
                    || text.startsWith("::ffff:");
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    /** RFC 5321 §4.1.2 Mail-parameters after the path; null when malformed. */
    private Map<String, String> parameters() {
        Map<String, String> parameters = new LinkedHashMap<>();
        while (pos < text.length()) {
            if (text.charAt(pos) != ' ') {
                return null;
            }
            while (peek() == ' ') {
                pos++;
            }
            if (atEnd()) {
                break;
            }
            int end = text.indexOf(' ', pos);
            String parameter = text.substring(pos, end < 0 ? text.length() : end);
            pos = end < 0 ? text.length() : end;
            int equals = parameter.indexOf('=');
            String keyword = equals < 0 ? parameter : parameter.substring(0, equals);
            String value = equals < 0 ? "" : parameter.substring(equals + 1);
            if (!ESMTP_KEYWORD.matcher(keyword).matches()
                    || (equals >= 0 && !ESMTP_VALUE.matcher(value).matches())
                    || parameters.putIfAbsent(keyword.toUpperCase(Locale.ROOT), value) != null) {
                return null;
            }
        }
        return parameters;
    }

    private char peek() {
        return pos < text.length() ? text.charAt(pos) : '\0';
    }

    private boolean atEnd() {
        return pos >= text.length();
    }

    // Counted, not encoded: no copy of the text per check. Decoded input holds no lone surrogate, where the two differ.
    private static int octets(String text) {
        return ByteBufUtil.utf8Bytes(text);
    }
}
