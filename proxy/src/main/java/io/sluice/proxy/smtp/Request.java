package io.sluice.proxy.smtp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
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
            return withPath("MAIL FROM:<", sender);
        }
    }

    /** {@code RCPT TO:<recipient> params}. */
    record Rcpt(MailPath recipient) implements Groupable {
        @Override
        public String line() {
            return withPath("RCPT TO:<", recipient);
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

    private static String withPath(String start, MailPath path) {
        StringBuilder line = new StringBuilder(start.length() + path.address().length() + 32).append(start)
                .append(path.address()).append('>');
        for (Map.Entry<String, String> parameter : path.parameters().entrySet()) {
            line.append(' ').append(parameter.getKey());
            if (!parameter.getValue().isEmpty()) {
                line.append('=').append(parameter.getValue());
            }
        }
        return line.toString();
    }
}
