package io.sluice.proxy.smtp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.TooLongFrameException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Decodes replies from an SMTP server into {@link SmtpReply}, joining multi-line replies
 * (RFC 5321 §4.2.1). Strict: only CRLF ends a line, and a malformed line fails the connection rather
 * than being guessed at.
 */
public final class SmtpReplyDecoder extends ByteToMessageDecoder {

    // RFC 5321 §4.5.3.1.5 says 512; real servers stretch it, so allow some room but stay bounded.
    static final int MAX_REPLY_LINE = 2048;
    // A reply of more lines than any EHLO needs is a server gone wrong.
    static final int MAX_REPLY_LINES = 100;

    private final List<String> lines = new ArrayList<>();
    private int code;

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        int start = in.readerIndex();
        int lineEnd = Crlf.find(in, start, Math.min(in.writerIndex(), start + MAX_REPLY_LINE));
        if (lineEnd < 0) {
            if (in.readableBytes() >= MAX_REPLY_LINE) {
                throw new TooLongFrameException("reply line longer than " + MAX_REPLY_LINE + " octets");
            }
            return;
        }
        String line = in.toString(start, lineEnd - start, StandardCharsets.UTF_8);
        in.readerIndex(lineEnd + 2);
        // A bare CR or LF would reach the client inside our relayed reply, where it may split it in two.
        if (line.length() < 3 || !isDigit(line.charAt(0)) || !isDigit(line.charAt(1)) || !isDigit(line.charAt(2))
                || (line.length() > 3 && " -".indexOf(line.charAt(3)) < 0)
                || line.indexOf('\r') >= 0 || line.indexOf('\n') >= 0) {
            throw new CorruptedFrameException("malformed reply line: " + printable(line));
        }
        int lineCode = Integer.parseInt(line.substring(0, 3));
        if (lineCode < 200 || lineCode > 599 || (!lines.isEmpty() && lineCode != code)) {
            throw new CorruptedFrameException("unexpected reply code in: " + printable(line));
        }
        code = lineCode;
        lines.add(line.length() > 4 ? line.substring(4) : "");
        if (lines.size() > MAX_REPLY_LINES) {
            throw new TooLongFrameException("reply of more than " + MAX_REPLY_LINES + " lines");
        }
        boolean last = line.length() == 3 || line.charAt(3) == ' ';
        if (last) {
            out.add(new SmtpReply(code, lines));
            lines.clear();
        }
    }

    /**
     * Drops every byte received but not yet decoded, and any reply begun. After a STARTTLS 220 they came in clear
     * and would otherwise be read as if they had come over TLS (response injection).
     */
    public void discardBuffered() {
        lines.clear();
        ByteBuf buffered = internalBuffer();
        buffered.skipBytes(buffered.readableBytes());
    }

    // ASCII only: Character.isDigit and Integer.parseInt would take any script's digits as a reply code.
    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static String printable(String line) {
        String shortened = line.length() > 80 ? line.substring(0, 80) + "..." : line;
        return shortened.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
