package io.sluice.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.proxy.peers.SmtpSinkProcess;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sluice as its own process, signalled while a client is in the middle of a message. SIGKILL: the client never
 * hears 250 for it; before the final dot the backend keeps nothing, after it the message may be at the backend
 * without the client's 250 (RFC 1047's window, counted). SIGTERM: the transaction completes with the backend's
 * 250, then the client gets 421 and the process exits 0.
 */
class SignalDuringDataTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(10);

    @Test
    void sigkillInTheMiddleOfTheContentLeavesNothingAtTheBackend(@TempDir Path dir) throws Exception {
        try (SmtpSinkProcess sink = SmtpSinkProcess.start();
             SluiceProcess sluice = SluiceProcess.relayingTo(dir, sink.port(), Duration.ZERO, DRAIN_TIMEOUT);
             RawSmtpClient client = new RawSmtpClient(sluice.port())) {
            client.reply();
            // The client's 354 is the backend's: from here on the backend is reading content too.
            client.startMessage().send("Subject: half\r\n\r\nfirst half\r\n");
            assertThat(sink.transactionsUnderWay()).as("transactions open at the backend").isEqualTo(1);

            sluice.kill();
            assertThat(sluice.awaitExit(WAIT)).isTrue();

            String end = endAfter(client, "second half\r\n.\r\n");
            System.out.printf("SIGKILL during DATA: the client saw %s; the backend kept %d message(s)%n", end,
                    sink.messages().size());
            assertThat(end).as("what the client saw instead of a reply to its dot").isIn("closed", "reset");
            await("the backend ending the transaction").atMost(WAIT).until(() -> sink.transactionsUnderWay() == 0);
            assertThat(sink.messages()).as("messages at the backend").isEmpty();
        }
    }

    @Test
    void sigkillAfterTheDotBeforeTheBackendAnswersIsTheRfc1047Window(@TempDir Path dir) throws Exception {
        // The backend takes the message at the dot and answers 30 s later.
        try (SmtpSinkProcess sink = SmtpSinkProcess.start("-W", ".:30");
             SluiceProcess sluice = SluiceProcess.relayingTo(dir, sink.port(), Duration.ZERO, DRAIN_TIMEOUT);
             RawSmtpClient client = new RawSmtpClient(sluice.port())) {
            client.reply();
            client.startMessage().send("Subject: in the window\r\n\r\nwhole\r\n.\r\n");
            sink.awaitMessages(1, WAIT);

            sluice.kill();
            assertThat(sluice.awaitExit(WAIT)).isTrue();

            String end = endAfter(client, "");
            int inWindow = sink.messages().size();
            System.out.printf("SIGKILL after the dot: the client saw %s; %d message(s) at the backend without the"
                    + " client's 250 (RFC 1047 window)%n", end, inWindow);
            assertThat(end).as("what the client saw instead of a reply to its dot").isIn("closed", "reset");
            assertThat(inWindow).as("at the backend, never acknowledged: a duplicate when the client retries")
                    .isEqualTo(1);
        }
    }

    @Test
    void sigtermDuringDataLetsTheTransactionFinishThenSays421(@TempDir Path dir) throws Exception {
        try (SmtpSinkProcess sink = SmtpSinkProcess.start();
             SluiceProcess sluice = SluiceProcess.relayingTo(dir, sink.port(), Duration.ZERO, DRAIN_TIMEOUT);
             RawSmtpClient client = new RawSmtpClient(sluice.port())) {
            client.reply();
            client.startMessage().send("Subject: in flight\r\n\r\nfirst half\r\n");

            sluice.terminate();
            await("listener closed").atMost(WAIT).until(() -> RawSmtpClient.refused(sluice.port()));
            client.send("second half\r\n");

            assertThat(client.command(".")).startsWith("250 ");
            assertThat(client.reply()).isEqualTo("421 4.3.2 Service shutting down, try again later");
            assertThat(sink.awaitMessages(1, WAIT).get(0).headers("Subject")).containsExactly("in flight");
            assertThat(sluice.awaitExit(DRAIN_TIMEOUT.plusSeconds(5))).as("exited; log:\n%s", sluice.log()).isTrue();
            assertThat(sluice.exitValue()).isZero();
        }
    }

    /** Sends {@code text} and reads what comes back: {@code closed}, {@code reset}, or a reply that should not. */
    private static String endAfter(RawSmtpClient client, String text) {
        try {
            if (!text.isEmpty()) {
                client.send(text);
            }
            String reply = client.reply();
            return reply.isEmpty() ? "closed" : reply;
        } catch (IOException e) {
            return "reset";
        }
    }
}
