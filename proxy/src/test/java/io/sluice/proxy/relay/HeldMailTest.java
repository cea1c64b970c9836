package io.sluice.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proxy.peers.SmtpSinkProcess;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A MAIL answered by Sluice and held back to reach a backend that pipelines with the transaction's first recipient:
 * what the backend says of the sender still reaches the client, at its recipients, and nothing the backend never saw
 * is forwarded for it.
 */
class HeldMailTest {

    @Test
    void aSenderTheBackendDefersIsDeferredAtEveryRecipient() throws Exception {
        try (RecordingBackend backend = RecordingBackend.keepingContent()
                .refusingMail("451 4.3.0 Sender address lookup failed");
             RunningSluice sluice = RunningSluice.relayingTo(backend.port()).start();
             RawSmtpClient client = new RawSmtpClient(sluice.port())) {
            client.greetedAndIntroduced();
            assertThat(client.command("MAIL FROM:<a@example.org>")).startsWith("250 ");
            assertThat(client.command("RCPT TO:<one@example.net>")).isEqualTo("451 4.3.0 Sender address lookup failed");
            // Not the backend's 503 for a recipient without a sender, a permanent failure the client would bounce.
            assertThat(client.command("RCPT TO:<two@example.net>")).isEqualTo("451 4.3.0 Sender address lookup failed");
            assertThat(client.command("DATA")).startsWith("554 ");
            assertThat(client.command("RSET")).startsWith("250 ");
            assertThat(backend.messages()).isEmpty();
        }
    }

    @Test
    void aBackendWithoutPipeliningGetsTheMailAtOnce() throws Exception {
        // smtp-sink with -r offers no PIPELINING: its refusal comes at the MAIL, as the client sent it.
        try (SmtpSinkProcess sink = SmtpSinkProcess.start("-r", "mail");
             RunningSluice sluice = RunningSluice.relayingTo(sink.port()).start();
             RawSmtpClient client = new RawSmtpClient(sluice.port())) {
            client.greetedAndIntroduced();
            assertThat(client.command("MAIL FROM:<a@example.org>")).startsWith("450 4.3.0");
            assertThat(sink.messages()).isEmpty();
        }
    }

    @Test
    void recipientsAfterARefusedSenderAreNotForwarded() throws Exception {
        try (RecordingBackend backend = RecordingBackend.keepingContent().refusingMail("550 5.7.1 Sender rejected");
             RunningSluice sluice = RunningSluice.relayingTo(backend.port()).start();
             RawSmtpClient client = new RawSmtpClient(sluice.port())) {
            client.greetedAndIntroduced();
            assertThat(client.command("MAIL FROM:<a@example.org>")).startsWith("250 ");
            assertThat(client.command("RCPT TO:<one@example.net>")).isEqualTo("550 5.7.1 Sender rejected");
            assertThat(client.command("RCPT TO:<two@example.net>")).isEqualTo("550 5.7.1 Sender rejected");
            assertThat(client.command("QUIT")).startsWith("221 ");
            assertThat(backend.commands()).filteredOn(command -> command.startsWith("RCPT"))
                    .as("the first recipient went with the MAIL; none after its refusal")
                    .containsExactly("RCPT TO:<one@example.net>");
        }
    }

    @Test
    void aResetBeforeAnyRecipientNeverReachesTheBackend() throws Exception {
        try (RecordingBackend backend = RecordingBackend.keepingContent();
             RunningSluice sluice = RunningSluice.relayingTo(backend.port()).start();
             RawSmtpClient client = new RawSmtpClient(sluice.port())) {
            client.greetedAndIntroduced();
            assertThat(client.command("MAIL FROM:<a@example.org>")).startsWith("250 ");
            assertThat(client.command("RSET")).startsWith("250 ");
            deliverOne(client);
            List<String> commands = backend.commands();
            assertThat(commands).filteredOn(command -> command.startsWith("MAIL") || command.equals("RSET"))
                    .as("only the second transaction's MAIL; the first was never sent, so nothing to reset")
                    .containsExactly("MAIL FROM:<a@example.org>");
            assertThat(backend.messages()).hasSize(1);
        }
    }

    @Test
    void aRefusedSenderIsToldOnlyOnceTheBackendHasAnsweredWhatWentWithIt() throws Exception {
        try (RecordingBackend backend = RecordingBackend.keepingContent().refusingMail("550 5.7.1 Sender rejected")
                .delayingDataReply(300);
             RunningSluice sluice = RunningSluice.relayingTo(backend.port()).start();
             RawSmtpClient client = new RawSmtpClient(sluice.port())) {
            client.greetedAndIntroduced();
            // Pipelined: the backend answers MAIL and RCPT at once, DATA 300 ms later in a segment of its own.
            client.send("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n");
            assertThat(client.reply()).startsWith("250 ");
            assertThat(client.reply()).isEqualTo("550 5.7.1 Sender rejected");
            assertThat(client.reply()).isEqualTo("550 5.7.1 Sender rejected");
            // Nothing is outstanding at the backend now: the RSET may go (a DATA still unanswered would forbid it).
            backend.refusingMail("").delayingDataReply(0);
            assertThat(client.command("RSET")).startsWith("250 ");
            deliverOne(client);
            assertThat(backend.messages()).hasSize(1);
        }
    }

    @Test
    void aConnectionLostWhileTheMailIsHeldIsReplacedWithoutTheClientNoticing() throws Exception {
        try (RecordingBackend backend = RecordingBackend.keepingContent();
             RunningSluice sluice = RunningSluice.relayingTo(backend.port()).start();
             RawSmtpClient client = new RawSmtpClient(sluice.port())) {
            client.greetedAndIntroduced();
            assertThat(client.command("MAIL FROM:<a@example.org>")).startsWith("250 ");
            // The backend restarts while the MAIL is held: it never heard of the transaction.
            backend.closeConnectionsAndAwaitTheRelay();
            assertThat(client.command("RCPT TO:<b@example.net>")).startsWith("250 ");
            assertThat(client.command("DATA")).startsWith("354 ");
            assertThat(client.command("Subject: t\r\n\r\nbody\r\n.")).startsWith("250 ");
            assertThat(backend.messages()).hasSize(1);
            assertThat(backend.commands()).as("the client introduced to the new connection before its MAIL")
                    .containsSubsequence("EHLO client.example", "EHLO client.example", "MAIL FROM:<a@example.org>");
        }
    }

    /** A whole transaction on an introduced session, each reply checked: MAIL, one recipient, DATA, a message. */
    private static void deliverOne(RawSmtpClient client) throws IOException {
        assertThat(client.command("MAIL FROM:<a@example.org>")).startsWith("250 ");
        assertThat(client.command("RCPT TO:<b@example.net>")).startsWith("250 ");
        assertThat(client.command("DATA")).startsWith("354 ");
        assertThat(client.command("Subject: t\r\n\r\nbody\r\n.")).startsWith("250 ");
    }
}
