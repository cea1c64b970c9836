package io.sluice.proxy.smtp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One backend connection in an {@link EmbeddedChannel}: a real {@link SmtpClientConnection} behind its reply
 * decoder, and a strict server at the other end that answers every command positively and keeps every octet
 * it received. Already greeted, as the connector hands connections over.
 */
final class ScriptedBackend {

    static final String EHLO_REPLY =
            "250-backend.example\r\n250-PIPELINING\r\n250-SIZE 1000000\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 DSN\r\n";

    // The content starts at a line start, so a first ".CRLF" ends it too: two octets of "CRLF.CRLF" are matched.
    private static final byte[] END_OF_DATA = "\r\n.\r\n".getBytes(StandardCharsets.US_ASCII);

    private final EmbeddedChannel channel;
    private final SmtpClientConnection connection = new SmtpClientConnection("backend", Duration.ofMinutes(5));
    private final ByteArrayOutputStream received = new ByteArrayOutputStream();
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private final List<String> commands = new ArrayList<>();
    private final List<String> messages = new ArrayList<>();
    private boolean inData;
    private int matched;
    private byte previous;

    ScriptedBackend(ByteBufAllocator alloc) {
        channel = new EmbeddedChannel();
        channel.config().setAllocator(alloc);
        channel.pipeline().addLast(SmtpClientConnection.DECODER, new SmtpReplyDecoder()).addLast("client", connection);
    }

    SmtpClientConnection connection() {
        return connection;
    }

    /** Every octet the connection sent, in order. */
    byte[] received() {
        return received.toByteArray();
    }

    /** The command lines received, without CRLF, as ISO-8859-1. */
    List<String> commands() {
        return List.copyOf(commands);
    }

    /** The content of each message ended with CRLF.CRLF, still dot-stuffed, without the end-of-data line. */
    List<String> messages() {
        return List.copyOf(messages);
    }

    /** Answers what the connection sent since the last call; false when it had sent nothing. */
    boolean pump() {
        boolean any = false;
        for (Object written; (written = channel.readOutbound()) != null; ) {
            ByteBuf bytes = (ByteBuf) written;
            try {
                any = true;
                while (bytes.isReadable()) {
                    take(bytes.readByte());
                }
            } finally {
                bytes.release();
            }
        }
        return any;
    }

    void close() {
        channel.finishAndReleaseAll();
    }

    private void take(byte b) {
        received.write(b);
        pending.write(b);
        if (inData) {
            matched = b == END_OF_DATA[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
            if (matched == END_OF_DATA.length) {
                String content = pending.toString(StandardCharsets.ISO_8859_1);
                messages.add(content.substring(0, content.length() - 3));
                pending.reset();
                inData = false;
                answer("250 2.0.0 Ok: queued\r\n");
            }
            return;
        }
        boolean lineEnd = previous == '\r' && b == '\n';
        previous = b;
        if (lineEnd) {
            byte[] line = pending.toByteArray();
            pending.reset();
            command(new String(line, 0, line.length - 2, StandardCharsets.ISO_8859_1));
        }
    }

    private void command(String line) {
        commands.add(line);
        String verb = (line.length() < 4 ? line : line.substring(0, 4)).toUpperCase(Locale.ROOT);
        switch (verb) {
            case "EHLO" -> answer(EHLO_REPLY);
            case "HELO" -> answer("250 backend.example\r\n");
            case "MAIL", "RCPT", "RSET", "NOOP" -> answer("250 2.0.0 Ok\r\n");
            case "DATA" -> {
                inData = true;
                matched = 2;
                answer("354 End data with <CR><LF>.<CR><LF>\r\n");
            }
            case "QUIT" -> answer("221 2.0.0 Bye\r\n");
            default -> answer("500 5.5.2 Error: command not recognized\r\n");
        }
    }

    private void answer(String reply) {
        if (channel.isOpen()) {
            channel.writeInbound(Unpooled.copiedBuffer(reply, StandardCharsets.US_ASCII));
        }
    }
}
