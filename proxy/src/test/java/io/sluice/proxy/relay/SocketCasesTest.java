package io.sluice.proxy.relay;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proxy.peers.SmtpSinkProcess;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * RFC 5321 limits and malformed input over a real socket, end to end to a backend: text line and path sizes,
 * NUL and invalid UTF-8 in commands, extensions the backend does not offer, BDAT (Sluice offers no CHUNKING),
 * dot lines, and clients that send slowly.
 */
class SocketCasesTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void textLineOf1000OctetsPassesByteIdenticalAnd1001IsRefused() throws Exception {
        try (RecordingBackend backend = RecordingBackend.keepingContent();
             RunningSluice sluice = RunningSluice.relayingTo(backend.port()).start();
             RawSmtpClient client = greeted(sluice)) {
            // RFC 5321 §4.5.3.1.6: 1000 octets including CRLF.
            String longest = "Subject: longest line\r\n\r\n" + "a".repeat(998) + "\r\n";
            client.startMessage();
            assertThat(client.command(longest + ".")).startsWith("250 ");
            assertThat(backend.messages()).hasSize(1);
            assertThat(new String(backend.messages().get(0), ISO_8859_1)).isEqualTo(longest);

            client.startMessage();
            assertThat(client.command("Subject: too long\r\n\r\n" + "b".repeat(999) + "\r\n.")).startsWith("550 5.5.2");
            assertThat(client.command("NOOP")).startsWith("250 ");
            assertThat(backend.messages()).hasSize(1);
        }
    }

    @Test
    void linesStartingWithDotsArriveByteIdentical() throws Exception {
        try (RecordingBackend backend = RecordingBackend.keepingContent();
             RunningSluice sluice = RunningSluice.relayingTo(backend.port()).start();
             RawSmtpClient client = greeted(sluice)) {
            // Stuffed as RFC 5321 §4.5.2 asks: the lines ".", "..", ".x", "..x" and ". " of the message.
            String content = "Subject: dots\r\n\r\n..\r\n...\r\n..x\r\n...x\r\n.. \r\nend\r\n";
            client.startMessage();
            assertThat(client.command(content + ".")).startsWith("250 ");

            // The relay passes content on still stuffed, as the next hop must receive it.
            assertThat(backend.messages()).hasSize(1);
            assertThat(new String(backend.messages().get(0), ISO_8859_1)).isEqualTo(content);
        }
    }

    @Test
    void localPartOf64AndDomainOf255AreAcceptedOneMoreRefused() throws Exception {
        String local64 = "l".repeat(64);
        String label = "a".repeat(63);
        String domain255 = String.join(".", label, label, label, label);
        String domain256 = String.join(".", label, label, label, "a".repeat(62), "a");
        // RFC 5321 §4.5.3.1.3: a path is at most 256 octets with its angle brackets.
        String domain189 = String.join(".", "d".repeat(63), "d".repeat(63), "d".repeat(61));
        String domain190 = String.join(".", "d".repeat(63), "d".repeat(63), "d".repeat(62));
        try (SmtpSinkProcess sink = SmtpSinkProcess.start();
             RunningSluice sluice = RunningSluice.relayingTo(sink.port()).start();
             RawSmtpClient client = greeted(sluice)) {
            // RFC 5321 §4.5.3.1.2: a domain is at most 255 octets.
            assertThat(client.command("EHLO " + domain256)).startsWith("501 5.5.4");
            assertThat(client.command("EHLO " + domain255)).startsWith("250 ");
            // RFC 5321 §4.5.3.1.1: a local part is at most 64 octets.
            assertThat(client.command("MAIL FROM:<" + "l".repeat(65) + "@example.org>")).startsWith("501 5.1.7");
            assertThat(client.command("MAIL FROM:<" + local64 + "@example.org>")).startsWith("250 ");
            assertThat(client.command("RCPT TO:<" + "l".repeat(65) + "@example.net>")).startsWith("501 5.1.3");
            assertThat(client.command("RCPT TO:<b@" + domain256 + ">")).startsWith("501 5.1.3");
            assertThat(client.command("RCPT TO:<" + local64 + "@" + domain190 + ">")).startsWith("501 5.1.3");
            assertThat(client.command("RCPT TO:<" + local64 + "@example.net>")).startsWith("250 ");
            assertThat(client.command("RCPT TO:<" + local64 + "@" + domain189 + ">")).startsWith("250 ");
            assertThat(client.command("DATA")).startsWith("354 ");
            assertThat(client.command("Subject: limits\r\n\r\nlimits\r\n.")).startsWith("250 ");

            SmtpSinkProcess.Message message = sink.awaitMessages(1, WAIT).get(0);
            assertThat(message.dump()).contains(domain255);
            assertThat(message.mailArgs()).isEqualTo("<" + local64 + "@example.org>");
            assertThat(message.rcptArgs()).containsExactly("<" + local64 + "@example.net>",
                    "<" + local64 + "@" + domain189 + ">");
        }
    }

    @Test
    void nulAndInvalidUtf8InCommandsGet500AndTheSessionGoesOn() throws Exception {
        List<byte[]> malformed = List.of(bytes("EHLO client\0.example"), bytes("EHLO cl\u00c3\u0028ient.example"),
                bytes("MAIL FROM:<a\0@example.org>"), bytes("MAIL FROM:<\u00ff@example.org> SMTPUTF8"),
                bytes("RCPT TO:<b\0@example.net>"), bytes("RCPT TO:<\u00ed\u00a0\u0080@example.net>"));
        try (SmtpSinkProcess sink = SmtpSinkProcess.start();
             RunningSluice sluice = RunningSluice.relayingTo(sink.port()).start();
             RawSmtpClient client = greeted(sluice)) {
            for (byte[] command : malformed.subList(0, 2)) {
                assertThat(commandBytes(client, command)).startsWith("500 5.5.2");
            }
            assertThat(client.command("EHLO client.example")).startsWith("250 ");
            for (byte[] command : malformed.subList(2, 4)) {
                assertThat(commandBytes(client, command)).startsWith("500 5.5.2");
            }
            assertThat(client.command("MAIL FROM:<a@example.org>")).startsWith("250 ");
            for (byte[] command : malformed.subList(4, 6)) {
                assertThat(commandBytes(client, command)).startsWith("500 5.5.2");
            }
            assertThat(client.command("RCPT TO:<b@example.net>")).startsWith("250 ");
            assertThat(client.command("DATA")).startsWith("354 ");
            assertThat(client.command("Subject: after the errors\r\n\r\nhello\r\n.")).startsWith("250 ");

            SmtpSinkProcess.Message message = sink.awaitMessages(1, WAIT).get(0);
            assertThat(message.mailArgs()).isEqualTo("<a@example.org>");
            assertThat(message.rcptArgs()).containsExactly("<b@example.net>");
        }
    }

    @Test
    void smtpUtf8And8BitMimeAreRefusedWhenTheBackendDoesNotOfferThem() throws Exception {
        // -8: no 8BITMIME; smtp-sink never offers SMTPUTF8.
        try (SmtpSinkProcess sink = SmtpSinkProcess.start("-8");
             RunningSluice sluice = RunningSluice.relayingTo(sink.port()).start();
             RawSmtpClient client = greeted(sluice)) {
            client.send("EHLO client.example\r\n");
            List<String> ehlo = client.replyLines();
            assertThat(ehlo).noneMatch(line -> line.contains("8BITMIME") || line.contains("SMTPUTF8"));
            assertThat(ehlo.get(ehlo.size() - 1)).startsWith("250 ");
            // RFC 5321 §4.1.1.11: 555 for a parameter not offered.
            assertThat(client.command("MAIL FROM:<a@example.org> BODY=8BITMIME")).startsWith("555 5.5.4");
            assertThat(client.command("MAIL FROM:<a@example.org> SMTPUTF8")).startsWith("555 5.5.4");
            assertThat(client.command("MAIL FROM:<j\u00f6rg@example.org> SMTPUTF8")).startsWith("555 5.5.4");
            // RFC 6531 §3.4: without SMTPUTF8 an address must be ASCII.
            assertThat(client.command("MAIL FROM:<j\u00f6rg@example.org>")).startsWith("553 5.6.7");
            assertThat(client.command("MAIL FROM:<a@example.org> BODY=7BIT")).startsWith("250 ");
        }
    }

    @Test
    void bdatIsNotOfferedAndAnswered502EvenWithAHugeSizeAndDataStillWorks() throws Exception {
        try (SmtpSinkProcess sink = SmtpSinkProcess.start();
             RunningSluice sluice = RunningSluice.relayingTo(sink.port()).start();
             RawSmtpClient client = greeted(sluice)) {
            client.send("EHLO client.example\r\n");
            assertThat(client.replyLines()).noneMatch(line -> line.contains("CHUNKING")).last().satisfies(line ->
                    assertThat(line).startsWith("250 "));
            assertThat(client.command("BDAT 99999999999999999999 LAST")).startsWith("502 5.5.1");
            assertThat(client.command("MAIL FROM:<a@example.org>")).startsWith("250 ");
            assertThat(client.command("RCPT TO:<b@example.net>")).startsWith("250 ");
            assertThat(client.command("BDAT 0 LAST")).startsWith("502 5.5.1");
            // The transaction is intact: DATA after the refused BDAT delivers.
            assertThat(client.command("DATA")).startsWith("354 ");
            assertThat(client.command("Subject: data after bdat\r\n\r\nhello\r\n.")).startsWith("250 ");

            assertThat(sink.awaitMessages(1, WAIT).get(0).content()).contains("data after bdat");
        }
    }

    @Test
    void bdatCutShortLeavesNothingAtTheBackend() throws Exception {
        try (SmtpSinkProcess sink = SmtpSinkProcess.start();
             RunningSluice sluice = RunningSluice.relayingTo(sink.port()).start()) {
            try (RawSmtpClient client = greeted(sluice)) {
                client.openTransaction();
                client.send("BDAT 100 LAST\r\nSubject: cut short\r\n\r\npart of a chu");
                assertThat(client.reply()).startsWith("502 5.5.1");
            }
            // A later session's message is the only one the backend stores.
            try (RawSmtpClient client = greeted(sluice)) {
                client.startMessage();
                assertThat(client.command("Subject: complete\r\n\r\nhello\r\n.")).startsWith("250 ");
            }
            assertThat(sink.awaitMessages(1, WAIT)).singleElement()
                    .satisfies(message -> assertThat(message.content()).contains("complete")
                            .doesNotContain("cut short"));
        }
    }

    @Test
    void bdatChunkWithEndOfDataSequencesIsReadAsCommandsThatEndNothing() throws Exception {
        try (SmtpSinkProcess sink = SmtpSinkProcess.start();
             RunningSluice sluice = RunningSluice.relayingTo(sink.port()).start();
             RawSmtpClient client = greeted(sluice)) {
            client.openTransaction();
            // Without CHUNKING the chunk is command lines: one with bare LF smuggling, then a lone dot.
            client.send("BDAT 23 LAST\r\ncarrier\n.\nsmuggled\r\n.\r\n");
            assertThat(client.reply()).startsWith("502 5.5.1");
            assertThat(client.reply()).startsWith("500 5.5.2");
            assertThat(client.reply()).startsWith("500 5.5.2");
            assertThat(client.command("DATA")).startsWith("354 ");
            assertThat(client.command("Subject: real\r\n\r\nreal\r\n.")).startsWith("250 ");

            assertThat(sink.awaitMessages(1, WAIT)).singleElement()
                    .satisfies(message -> assertThat(message.content()).contains("real").doesNotContain("carrier"));
        }
    }

    @Test
    void commandSentOneBytePerSecondGetsItsReply() throws Exception {
        try (SmtpSinkProcess sink = SmtpSinkProcess.start();
             RunningSluice sluice = RunningSluice.relayingTo(sink.port()).commandTimeout(Duration.ofSeconds(10))
                     .start();
             RawSmtpClient client = greeted(sluice)) {
            // Six octets in five seconds, within the timeout for the whole command.
            int sent = trickle(client, "NOOP\r\n");

            assertThat(sent).isEqualTo(6);
            assertThat(client.reply()).startsWith("250 ");
            assertThat(client.command("EHLO client.example")).startsWith("250 ");
        }
    }

    @Test
    void commandTrickledPastTheCommandTimeoutGets421AndIsClosed() throws Exception {
        try (SmtpSinkProcess sink = SmtpSinkProcess.start();
             RunningSluice sluice = RunningSluice.relayingTo(sink.port()).commandTimeout(Duration.ofSeconds(3))
                     .start();
             RawSmtpClient client = greeted(sluice)) {
            String command = "NOOP " + "x".repeat(10) + "\r\n";
            int sent = trickle(client, command);

            // RFC 5321 §4.5.3.2.7: the timeout is for the whole command; octets arriving do not restart it.
            assertThat(sent).isLessThan(command.length());
            assertThat(client.reply()).startsWith("421 4.4.2");
            assertThat(client.closedWithoutReply()).isTrue();
        }
    }

    /** Sends the text one octet a second until it is all sent or a reply comes; returns the octets sent. */
    private static int trickle(RawSmtpClient client, String text) throws Exception {
        int sent = 0;
        while (sent < text.length() && !client.replyWaiting()) {
            if (sent > 0) {
                Thread.sleep(1000);
            }
            if (client.replyWaiting()) {
                break;
            }
            client.send(text.substring(sent, sent + 1));
            sent++;
        }
        return sent;
    }

    private static RawSmtpClient greeted(RunningSluice sluice) throws Exception {
        RawSmtpClient client = new RawSmtpClient(sluice.port());
        assertThat(client.reply()).startsWith("220 ");
        return client;
    }

    /** The command as octets, each char of the string one octet (so invalid UTF-8 can be written). */
    private static byte[] bytes(String command) {
        return command.getBytes(ISO_8859_1);
    }

    private static String commandBytes(RawSmtpClient client, byte[] command) throws Exception {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        line.write(command);
        line.write(new byte[] {'\r', '\n'});
        client.send(line.toByteArray());
        return client.reply();
    }
}
