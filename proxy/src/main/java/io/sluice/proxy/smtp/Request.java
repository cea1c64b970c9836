package io.sluice.proxy.smtp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * A command Sluice sends to a server (a backend or a remote mail exchanger), typed: what the session parsed once
 * travels as this, and is written out once, by {@link #encode}. MAIL and RCPT are rebuilt from their parsed path,
 * never copied from the client's line, so only a mailbox and known parameters leave Sluice.
 */
public sealed interface Request {

    /**
     * A command that RFC 2920 §3.1 lets a group of pipelined commands go on after: the next may be sent before its
     * reply, where the server offers PIPELINING. Every other command ends a group.
     */
    sealed interface Groupable extends Request {}

    /** {@code MAIL FROM:<sender> params}. */
    record Mail(MailPath sender) implements Groupable {
        @Override
        public String line() {
            return lineOf(this);
        }

        @Override
        public ByteBuf encode(ByteBufAllocator alloc) {
            return withPath(alloc, "MAIL FROM:<", sender);
        }
    }

    /** {@code RCPT TO:<recipient> params}. */
    record Rcpt(MailPath recipient) implements Groupable {
        @Override
        public String line() {
            return lineOf(this);
        }

        @Override
        public ByteBuf encode(ByteBufAllocator alloc) {
            return withPath(alloc, "RCPT TO:<", recipient);
        }
    }

    /** {@code DATA}. */
    record Data() implements Request {
        @Override
        public String line() {
            return "DATA";
        }
    }

    /** {@code RSET}. */
    record Rset() implements Groupable {
        @Override
        public String line() {
            return "RSET";
        }
    }

    /** {@code EHLO domain}. */
    record Ehlo(String domain) implements Request {
        @Override
        public String line() {
            return "EHLO " + domain;
        }
    }

    /** {@code XCLIENT} with its attributes, each {@code NAME=xtext} (Postfix's XCLIENT_README). */
    record Xclient(List<String> attributes) implements Request {
        public Xclient {
            attributes = List.copyOf(attributes);
        }

        @Override
        public String line() {
            return "XCLIENT " + String.join(" ", attributes);
        }
    }

    /** The end-of-data line that ends message content ({@link SmtpClientConnection#endData} sends it). */
    record EndOfData() implements Request {
        @Override
        public String line() {
            return ".";
        }
    }

    /** {@code STARTTLS}. */
    record StartTls() implements Request {
        @Override
        public String line() {
            return "STARTTLS";
        }
    }

    /** {@code QUIT}. */
    record Quit() implements Request {
        @Override
        public String line() {
            return "QUIT";
        }
    }

    Data DATA = new Data();
    Rset RSET = new Rset();
    EndOfData END_OF_DATA = new EndOfData();
    StartTls STARTTLS = new StartTls();
    Quit QUIT = new Quit();

    /** The command's line with its CRLF, in a buffer of {@code alloc}. */
    default ByteBuf encode(ByteBufAllocator alloc) {
        String line = line();
        ByteBuf out = alloc.ioBuffer(ByteBufUtil.utf8Bytes(line) + 2);
        ByteBufUtil.writeUtf8(out, line);
        return out.writeByte('\r').writeByte('\n');
    }

    /** The command line, without CRLF. */
    String line();

    /** The line of a command that encodes itself, for messages: rare, so not worth a second writer. */
    private static String lineOf(Request request) {
        ByteBuf encoded = request.encode(UnpooledByteBufAllocator.DEFAULT);
        try {
            return encoded.toString(0, encoded.readableBytes() - 2, StandardCharsets.UTF_8);
        } finally {
            encoded.release();
        }
    }

    /** MAIL or RCPT written straight into the buffer, with no line string in between: one of each per message. */
    private static ByteBuf withPath(ByteBufAllocator alloc, String start, MailPath path) {
        int size = start.length() + ByteBufUtil.utf8Bytes(path.address()) + 3;
        for (Map.Entry<String, String> parameter : path.parameters().entrySet()) {
            size += 2 + ByteBufUtil.utf8Bytes(parameter.getKey()) + ByteBufUtil.utf8Bytes(parameter.getValue());
        }
        ByteBuf out = alloc.ioBuffer(size);
        out.writeCharSequence(start, StandardCharsets.US_ASCII);
        ByteBufUtil.writeUtf8(out, path.address());
        out.writeByte('>');
        for (Map.Entry<String, String> parameter : path.parameters().entrySet()) {
            out.writeByte(' ');
            ByteBufUtil.writeUtf8(out, parameter.getKey());
            if (!parameter.getValue().isEmpty()) {
                out.writeByte('=');
                ByteBufUtil.writeUtf8(out, parameter.getValue());
            }
        }
        return out.writeByte('\r').writeByte('\n');
    }
}
