package io.sluice.proxy.smtp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.util.ByteProcessor;
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
        int length = lineEnd - start;
        in.readerIndex(lineEnd + 2);
        // Checked on the bytes, so that a well-formed line becomes one string, its text. A bare CR or LF would
        // reach the client inside our relayed reply, where it may split it in two.
        if (length < 3 || !isDigit(in.getByte(start)) || !isDigit(in.getByte(start + 1))
                || !isDigit(in.getByte(start + 2))
                || (length > 3 && in.getByte(start + 3) != ' ' && in.getByte(start + 3) != '-')
                || in.forEachByte(start, length, ByteProcessor.FIND_CRLF) >= 0) {
            throw new CorruptedFrameException("malformed reply line: " + printable(line(in, start, length)));
        }
        int lineCode = (in.getByte(start) - '0') * 100 + (in.getByte(start + 1) - '0') * 10 + in.getByte(start + 2) - '0';
        if (lineCode < 200 || lineCode > 599 || (!lines.isEmpty() && lineCode != code)) {
            throw new CorruptedFrameException("unexpected reply code in: " + printable(line(in, start, length)));
        }
        code = lineCode;
        lines.add(length > 4 ? line(in, start + 4, length - 4) : "");
        if (lines.size() > MAX_REPLY_LINES) {
            throw new TooLongFrameException("reply of more than " + MAX_REPLY_LINES + " lines");
        }
        boolean last = length == 3 || in.getByte(start + 3) == ' ';
        if (last) {
            // Most replies are one line: an immutable list of it, which the reply keeps as it is, instead of a copy.
            out.add(new SmtpReply(code, lines.size() == 1 ? List.of(lines.get(0)) : lines));
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

    private static String line(ByteBuf in, int start, int length) {
        return in.toString(start, length, StandardCharsets.UTF_8);
    }

    // ASCII only: Character.isDigit and Integer.parseInt would take any script's digits as a reply code.
    private static boolean isDigit(byte b) {
        return b >= '0' && b <= '9';
    }

    private static String printable(String line) {
        String shortened = line.length() > 80 ? line.substring(0, 80) + "..." : line;
        return shortened.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
