package io.sluice.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proxy.peers.SmtpSinkProcess;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The strict server side, seen from a client socket. */
class ProtocolTest {

    @Test
    void talkingBeforeTheGreetingGets554AndClose() throws Exception {
        // The sink greets after a second, so the client's EHLO surely comes first.
        try (SmtpSinkProcess sink = SmtpSinkProcess.start("-W", "connect:1");
             RunningSluice sluice = RunningSluice.relayingTo(sink.port()).start();
             RawSmtpClient client = new RawSmtpClient(sluice.port())) {
            client.send("EHLO early.example\r\n");

            assertThat(client.reply()).startsWith("554 5.5.0");
            assertThat(client.closedWithoutReply()).isTrue();
        }
    }

    @Test
    void commandLineOf512OctetsIsAcceptedAnd513Refused() throws Exception {
        try (SmtpSinkProcess sink = SmtpSinkProcess.start();
             RunningSluice sluice = RunningSluice.relayingTo(sink.port()).start();
             RawSmtpClient client = new RawSmtpClient(sluice.port())) {
            assertThat(client.reply()).startsWith("220 ");
            // "NOOP " + 505 characters + CRLF = 512 octets.
            assertThat(client.command("NOOP " + "x".repeat(505))).startsWith("250 ");
            assertThat(client.command("NOOP " + "x".repeat(506))).startsWith("500 5.5.2");
            assertThat(client.command("NOOP")).startsWith("250 ");
        }
    }

    @Test
    void pipelinedCommandsSplitAnywhereAreAnsweredInOrder() throws Exception {
        try (SmtpSinkProcess sink = SmtpSinkProcess.start();
             RunningSluice sluice = RunningSluice.relayingTo(sink.port()).start();
             RawSmtpClient client = new RawSmtpClient(sluice.port())) {
            assertThat(client.reply()).startsWith("220 ");
            assertThat(client.command("EHLO client.example")).startsWith("250 ");
            String group = "MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nRCPT TO:<bad@@x>\r\nRCPT TO:<c@example.net>\r\nDATA\r\n";
            for (String piece : List.of(group.substring(0, 7), group.substring(7, 40), group.substring(40))) {
                client.send(piece);
                Thread.sleep(20);
            }
            assertThat(client.reply()).startsWith("250 2.1.0");
            assertThat(client.reply()).startsWith("250 2.1.5");
            assertThat(client.reply()).startsWith("501 5.1.3");
            assertThat(client.reply()).startsWith("250 2.1.5");
            assertThat(client.reply()).startsWith("354 ");
            assertThat(client.command("Subject: pipelined\r\n\r\n..dot stays\r\n.")).startsWith("250 ");
            SmtpSinkProcess.Message message = sink.awaitMessages(1, Duration.ofSeconds(10)).get(0);
            assertThat(message.rcptArgs()).hasSize(2);
            // smtp-sink undoes the stuffing: the client's "..dot" is the line ".dot".
            assertThat(message.content()).contains("\n.dot stays\n");
        }
    }

    @Test
    void tooManyErrorsCloseTheSession() throws Exception {
        try (SmtpSinkProcess sink = SmtpSinkProcess.start();
             RunningSluice sluice = RunningSluice.relayingTo(sink.port()).start();
             RawSmtpClient client = new RawSmtpClient(sluice.port())) {
            assertThat(client.reply()).startsWith("220 ");
            for (int i = 1; i < 20; i++) {
                assertThat(client.command("BOGUS " + i)).startsWith("500 5.5.2");
            }
            assertThat(client.command("BOGUS 20")).startsWith("421 4.7.0");
            assertThat(client.closedWithoutReply()).isTrue();
        }
    }

    @Test
    void idleClientIsTimedOutWith421() throws Exception {
        try (SmtpSinkProcess sink = SmtpSinkProcess.start();
             RunningSluice sluice = RunningSluice.relayingTo(sink.port()).commandTimeout(Duration.ofSeconds(1)).start();
             RawSmtpClient client = new RawSmtpClient(sluice.port())) {
            assertThat(client.reply()).startsWith("220 ");
            assertThat(client.reply()).startsWith("421 4.4.2");
        }
    }

    @Test
    void contentOfARefusedMessageStillCountsAsActivityUntilItsEnd() throws Exception {
        try (SmtpSinkProcess sink = SmtpSinkProcess.start();
             RunningSluice sluice = RunningSluice.relayingTo(sink.port()).commandTimeout(Duration.ofSeconds(1)).start();
             RawSmtpClient client = new RawSmtpClient(sluice.port())) {
            assertThat(client.reply()).startsWith("220 ");
            client.startMessage();
            client.send("x".repeat(1200) + "\r\n");
            // Three seconds of content, a line every 250 ms: longer than the timeout, never idle as long.
            for (int i = 0; i < 12; i++) {
                Thread.sleep(250);
                client.send("more content\r\n");
            }
            assertThat(client.command(".")).as("the refusal, not a timeout").startsWith("550 5.5.2");
            assertThat(sink.messages()).isEmpty();
        }
    }

    @Test
    void messageOverTheSizeLimitIsRefusedAndNeverDelivered() throws Exception {
        try (SmtpSinkProcess sink = SmtpSinkProcess.start();
             RunningSluice sluice = RunningSluice.relayingTo(sink.port()).maxMessageSize(64 * 1024).start();
             RawSmtpClient client = new RawSmtpClient(sluice.port())) {
            assertThat(client.reply()).startsWith("220 ");
            assertThat(client.command("EHLO client.example")).startsWith("250 ");
            assertThat(client.command("MAIL FROM:<a@example.org> SIZE=100000")).startsWith("552 5.3.4");
            assertThat(client.command("MAIL FROM:<a@example.org>")).startsWith("250 ");
            assertThat(client.command("RCPT TO:<b@example.net>")).startsWith("250 ");
            assertThat(client.command("DATA")).startsWith("354 ");
            String line = "y".repeat(998) + "\r\n";
            assertThat(client.command("Subject: big\r\n\r\n" + line.repeat(100) + ".")).startsWith("552 5.3.4");
            assertThat(client.command("NOOP")).startsWith("250 ");
            Thread.sleep(300);
            assertThat(sink.messages()).isEmpty();
        }
    }
}
