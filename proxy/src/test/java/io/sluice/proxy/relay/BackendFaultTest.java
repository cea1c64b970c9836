package io.sluice.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proxy.peers.SmtpSinkProcess;
import io.sluice.testing.TestPorts;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** What the client hears when the backend misbehaves: a tempfail, never a 250 the backend did not give. */
class BackendFaultTest {

    @Test
    void backendClosingBeforeItsFinalReplyGives451() throws Exception {
        assertFinalReply(SmtpSinkProcess.start("-q", "."), Duration.ofSeconds(30), "451 4.4.2");
    }

    @Test
    void backendHangingAfterTheDotGives451AfterTheTimeout() throws Exception {
        assertFinalReply(SmtpSinkProcess.start("-W", ".:10"), Duration.ofSeconds(1), "451 4.4.2");
    }

    @Test
    void backendSlowToAnswerDataGives451AfterTheTimeout() throws Exception {
        try (SmtpSinkProcess sink = SmtpSinkProcess.start("-w", "10");
             RunningSluice sluice = RunningSluice.relayingTo(sink.port()).backendTimeout(Duration.ofSeconds(1)).start();
             RawSmtpClient client = new RawSmtpClient(sluice.port())) {
            assertThat(client.reply()).startsWith("220 ");
            assertThat(client.command("EHLO client.example")).startsWith("250 ");
            assertThat(client.command("MAIL FROM:<a@example.org>")).startsWith("250 ");
            assertThat(client.command("RCPT TO:<b@example.net>")).startsWith("250 ");
            assertThat(client.command("DATA")).startsWith("451 4.4.2");
            assertThat(sink.messages()).isEmpty();
        }
    }

    @Test
    void backendAnswering421AtTheDotIsRelayedAsATempfail() throws Exception {
        assertFinalReply(SmtpSinkProcess.start("-Q", "."), Duration.ofSeconds(30), "421 ");
    }

    @Test
    void unreachableBackendGives421AtConnect() throws Exception {
        int nobodyListens = TestPorts.freeOnLoopback();
        try (RunningSluice sluice = RunningSluice.relayingTo(nobodyListens).start();
             RawSmtpClient client = new RawSmtpClient(sluice.port())) {
            assertThat(client.reply()).startsWith("421 4.4.1");
            assertThat(client.closedWithoutReply()).isTrue();
        }
    }

    @Test
    void backendClosingAtMailGives451AtTheRecipientAndTheNextTransactionReconnects() throws Exception {
        try (SmtpSinkProcess sink = SmtpSinkProcess.start("-q", "mail");
             RunningSluice sluice = RunningSluice.relayingTo(sink.port()).start();
             RawSmtpClient client = new RawSmtpClient(sluice.port())) {
            assertThat(client.reply()).startsWith("220 ");
            assertThat(client.command("EHLO client.example")).startsWith("250 ");
            // The MAIL is held for the recipient (the sink pipelines): the loss shows at the RCPT they went out with.
            assertThat(client.command("MAIL FROM:<a@example.org>")).startsWith("250 ");
            assertThat(client.command("RCPT TO:<b@example.net>")).startsWith("451 4.4.2");
            assertThat(client.command("DATA")).startsWith("451 4.4.2");
            assertThat(client.command("RSET")).startsWith("250 ");
            // A fresh backend connection is opened for the next MAIL, which goes at once (nothing to hold it for
            // yet), and it closes again at MAIL: the sink's fault is permanent.
            assertThat(client.command("MAIL FROM:<a@example.org>")).startsWith("451 4.4.2");
            assertThat(sink.messages()).isEmpty();
        }
    }

    @Test
    void failoverToTheNextBackendWhenTheFirstIsDown() throws Exception {
        int nobodyListens = TestPorts.freeOnLoopback();
        try (SmtpSinkProcess sink = SmtpSinkProcess.start();
             RunningSluice sluice = RunningSluice.relayingTo(nobodyListens, sink.port()).start()) {
            for (int i = 0; i < 3; i++) {
                try (RawSmtpClient client = new RawSmtpClient(sluice.port())) {
                    assertThat(client.reply()).startsWith("220 ");
                    sendOneMessage(client, "250 ");
                }
            }
            assertThat(sink.awaitMessages(3, Duration.ofSeconds(30))).hasSize(3);
        }
    }

    private static void assertFinalReply(SmtpSinkProcess sink, Duration backendTimeout, String expected)
            throws Exception {
        try (sink;
             RunningSluice sluice = RunningSluice.relayingTo(sink.port()).backendTimeout(backendTimeout).start();
             RawSmtpClient client = new RawSmtpClient(sluice.port())) {
            assertThat(client.reply()).startsWith("220 ");
            sendOneMessage(client, expected);
        }
    }

    static void sendOneMessage(RawSmtpClient client, String expectedFinalReply) throws Exception {
        client.startMessage();
        assertThat(client.command("Subject: fault\r\n\r\nbody\r\n.")).startsWith(expectedFinalReply);
    }
}
