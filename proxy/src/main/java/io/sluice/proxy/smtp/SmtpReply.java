package io.sluice.proxy.smtp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.util.List;

/** An SMTP reply: a three-digit code and one or more text lines, each already carrying its enhanced status code. */
public record SmtpReply(int code, List<String> lines) {


    public static final SmtpReply OK = of(250, "2.0.0", "Ok");
    public static final SmtpReply BYE = of(221, "2.0.0", "Bye");
    public static final SmtpReply START_MAIL_INPUT = new SmtpReply(354, List.of("End data with <CR><LF>.<CR><LF>"));
    public static final SmtpReply READY_TO_START_TLS = of(220, "2.0.0", "Ready to start TLS");
    public static final SmtpReply LINE_TOO_LONG = of(500, "5.5.2", "Line too long (RFC 5321 §4.5.3.1.4: 512 octets)");
    public static final SmtpReply SYNTAX_ERROR = of(500, "5.5.2", "Syntax error, command unrecognized");
    public static final SmtpReply NOT_IMPLEMENTED = of(502, "5.5.1", "Command not implemented");
    public static final SmtpReply BAD_SEQUENCE = of(503, "5.5.1", "Bad sequence of commands");
    public static final SmtpReply SEND_HELO_FIRST = of(503, "5.5.1", "Send HELO/EHLO first");
    public static final SmtpReply NEED_MAIL = of(503, "5.5.1", "Need MAIL command");
    public static final SmtpReply NEED_RCPT = of(503, "5.5.1", "Need RCPT command");
    public static final SmtpReply NESTED_MAIL = of(503, "5.5.1", "Nested MAIL command");
    public static final SmtpReply TOO_MANY_RECIPIENTS = of(452, "4.5.3", "Too many recipients");
    public static final SmtpReply TALKING_BEFORE_GREETING = of(554, "5.5.0", "Protocol error: talking before the greeting");
    public static final SmtpReply TOO_MANY_ERRORS = of(421, "4.7.0", "Too many errors, closing connection");
    public static final SmtpReply TOO_MANY_TRANSACTIONS = of(421, "4.7.0", "Too many transactions, closing connection");
    // RFC 3463 X.3.2: system not accepting network messages.
    public static final SmtpReply SHUTTING_DOWN = of(421, "4.3.2", "Service shutting down, try again later");
    public static final SmtpReply TIMEOUT = of(421, "4.4.2", "Timeout exceeded, closing connection");
    public static final SmtpReply NEXT_HOP_UNAVAILABLE = of(421, "4.4.1", "Service temporarily unavailable, try again later");
    public static final SmtpReply NEXT_HOP_LOST = of(451, "4.4.2", "Connection to the next hop lost, message not accepted; try again later");
    public static final SmtpReply BARE_LINE_ENDING =
            of(550, "5.5.2", "Message rejected: bare CR or LF in message content (RFC 5321 §2.3.8)");
    public static final SmtpReply TEXT_LINE_TOO_LONG =
            of(550, "5.5.2", "Message rejected: line longer than 1000 octets (RFC 5321 §4.5.3.1.6)");
    public static final SmtpReply MESSAGE_TOO_BIG = of(552, "5.3.4", "Message size exceeds fixed limit");

    public SmtpReply {
        if (code < 200 || code > 599) {
            throw new IllegalArgumentException("code: " + code + " (expected: 200-599)");
        }
        if (lines.isEmpty()) {
            throw new IllegalArgumentException("lines: empty (expected: at least one)");
        }
        lines = List.copyOf(lines);
    }

    /** A single-line reply whose text starts with the enhanced status code. */
    public static SmtpReply of(int code, String enhanced, String text) {
        return new SmtpReply(code, List.of(enhanced + " " + text));
    }

    public boolean isPositive() {
        return code < 400;
    }

    public boolean isTransientFailure() {
        return code >= 400 && code < 500;
    }

    public boolean isPermanentFailure() {
        return code >= 500;
    }

    /**
     * This reply with a generic enhanced status code on every line that lacks one, so replies relayed
     * from a backend without ENHANCEDSTATUSCODES still honour what we advertise (RFC 2034 §3).
     * Intermediate replies (3xx) carry no enhanced code.
     */
    public SmtpReply withEnhancedCodes() {
        if (code >= 300 && code < 400) {
            return this;
        }
        String generic = (code / 100) + ".0.0";
        boolean missing = false;
        for (String line : lines) {
            missing |= !hasEnhancedCode(line);
        }
        if (!missing) {
            return this;
        }
        return new SmtpReply(code, lines.stream()
                .map(line -> hasEnhancedCode(line) ? line : (line.isEmpty() ? generic : generic + " " + line))
                .toList());
    }

    /** The enhanced status code the reply's first line starts with (RFC 3463), such as 4.7.28; null if none. */
    public String enhancedCode() {
        String first = lines.isEmpty() ? "" : lines.get(0);
        if (!hasEnhancedCode(first)) {
            return null;
        }
        int end = first.indexOf(' ');
        return end < 0 ? first : first.substring(0, end);
    }

    /** RFC 3463 §2: class "." subject "." detail, then a space or the end; by hand, as every relayed line asks. */
    static boolean hasEnhancedCode(String line) {
        if (line.length() < 5 || "245".indexOf(line.charAt(0)) < 0 || line.charAt(1) != '.') {
            return false;
        }
        int subjectEnd = digits(line, 2);
        if (subjectEnd < 0 || subjectEnd == line.length() || line.charAt(subjectEnd) != '.') {
            return false;
        }
        int detailEnd = digits(line, subjectEnd + 1);
        return detailEnd >= 0 && (detailEnd == line.length() || line.charAt(detailEnd) == ' ');
    }

    /** The end of one to three digits starting at {@code from}, or -1 if there are none there. */
    private static int digits(String line, int from) {
        int end = from;
        while (end < line.length() && end - from < 3 && line.charAt(end) >= '0' && line.charAt(end) <= '9') {
            end++;
        }
        return end == from ? -1 : end;
    }

    /** The reply on the wire: every line but the last uses the "-" separator (RFC 5321 §4.2.1). */
    public byte[] encode() {
        ByteBuf wire = encode(UnpooledByteBufAllocator.DEFAULT);
        try {
            return ByteBufUtil.getBytes(wire);
        } finally {
            wire.release();
        }
    }

    /** The reply on the wire, written straight into a buffer of the channel's (pooled, direct where it helps). */
    public ByteBuf encode(ByteBufAllocator alloc) {
        int size = 0;
        for (String line : lines) {
            size += 6 + ByteBufUtil.utf8Bytes(line);
        }
        ByteBuf out = alloc.ioBuffer(size);
        for (int i = 0; i < lines.size(); i++) {
            out.writeByte('0' + code / 100).writeByte('0' + code / 10 % 10).writeByte('0' + code % 10)
                    .writeByte(i == lines.size() - 1 ? ' ' : '-');
            ByteBufUtil.writeUtf8(out, lines.get(i));
            out.writeByte('\r').writeByte('\n');
        }
        return out;
    }

    @Override
    public String toString() {
        return code + " " + String.join(" / ", lines);
    }
}
