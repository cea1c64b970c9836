package io.sluice.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.Gauge;
import io.sluice.config.ConnectionReuseConfig;
import io.sluice.config.DrainConfig;
import io.sluice.proxy.peers.PostfixInstance;
import io.sluice.proxy.peers.SmtpSinkProcess;
import io.sluice.proxy.peers.SwaksRun;
import java.io.IOException;
import java.time.Duration;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Backend connections kept between client sessions. */
class ConnectionReuseTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    // Health probes are connections too: keep them out of the counts.
    private static final Duration NO_PROBES = Duration.ofHours(1);

    @Test
    void keptConnectionIntroducesEachNewClientToPostfix() throws Exception {
        try (SmtpSinkProcess downstream = SmtpSinkProcess.start();
             PostfixInstance postfix = PostfixInstance.start(downstream);
             // One event loop's worth of idle connections is enough to see the reuse.
             RunningSluice sluice = RunningSluice.relayingTo(postfix.port()).healthCheckInterval(NO_PROBES)
                     .reuse(new ConnectionReuseConfig(8, Duration.ofSeconds(30), 100)).start()) {
            for (String client : new String[] {"127.0.0.9", "127.0.0.10", "127.0.0.11", "127.0.0.12"}) {
                SwaksRun run = SwaksRun.send(sluice.port(), "--local-interface", client);
                assertThat(run.exitCode()).as(run.output()).isZero();
            }

            downstream.awaitMessages(4, WAIT);
            String log = postfix.log();
            for (String client : new String[] {"127.0.0.9", "127.0.0.10", "127.0.0.11", "127.0.0.12"}) {
                assertThat(log).contains("client=unknown[" + client + "]");
            }
            // Four client sessions over fewer TCP connections than sessions (Sluice runs one loop per core).
            long connections = Pattern.compile("\\]: connect from ").matcher(log).results().count();
            assertThat(connections).isBetween(1L, (long) Runtime.getRuntime().availableProcessors());
        }
    }

    @Test
    void keptConnectionsToABackendThatWentAwayAreNotUsed() throws Exception {
        SmtpSinkProcess first = SmtpSinkProcess.start();
        int port = first.port();
        try (RunningSluice sluice = RunningSluice.relayingTo(port).start()) {
            assertThat(SwaksRun.send(sluice.port()).exitCode()).isZero();
            first.close();
            try (SmtpSinkProcess second = SmtpSinkProcess.startOn(port)) {
                SwaksRun run = SwaksRun.send(sluice.port(), "--header", "Subject: after restart");

                assertThat(run.exitCode()).as(run.output()).isZero();
                assertThat(second.awaitMessages(1, WAIT).get(0).headers("Subject")).containsExactly("after restart");
            }
        } finally {
            first.close();
        }
    }

    @Test
    void withReuseOffEverySessionHasItsOwnConnection() throws Exception {
        try (SmtpSinkProcess downstream = SmtpSinkProcess.start();
             PostfixInstance postfix = PostfixInstance.start(downstream);
             RunningSluice sluice = RunningSluice.relayingTo(postfix.port()).healthCheckInterval(NO_PROBES)
                     .reuse(ConnectionReuseConfig.DISABLED).start()) {
            for (int i = 0; i < 3; i++) {
                assertThat(SwaksRun.send(sluice.port()).exitCode()).isZero();
            }

            downstream.awaitMessages(3, WAIT);
            assertThat(Pattern.compile("\\]: connect from ").matcher(postfix.log()).results().count())
                    .as(postfix.log()).isEqualTo(3);
        }
    }

    @Test
    void aKeptConnectionAnswersTheClientsEhloAtOnceAndSendsNothingMoreBeforeTheBackendAnswersIt() throws Exception {
        try (RecordingBackend backend = RecordingBackend.keepingContent().holdingEhloOf("held.example");
             RunningSluice sluice = RunningSluice.relayingTo(backend.port()).healthCheckInterval(NO_PROBES).start()) {
            int primed = primeEveryLoop(sluice, backend);
            try (RawSmtpClient client = new RawSmtpClient(sluice.port())) {
                assertThat(client.reply()).startsWith("220 ");

                // The backend holds its answer to this EHLO: the client's comes from the kept connection.
                assertThat(client.command("EHLO held.example")).startsWith("250 ");
                client.send("MAIL FROM:<a@example.org>\r\n");
                // RFC 2920: nothing follows an EHLO to the backend before its reply.
                await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5))
                        .until(() -> backend.commands().get(backend.commands().size() - 1).equals("EHLO held.example"));
                assertThat(client.replyWaiting()).isFalse();

                backend.releaseHeldEhlo();
                assertThat(client.reply()).startsWith("250 ");
                // The MAIL was answered once the backend took the introduction, and is held for the first recipient,
                // as on any connection: no round trip of its own.
                assertThat(backend.commands()).last().isEqualTo("EHLO held.example");
                recipientAndContent(client);
            }
            assertThat(backend.messages()).hasSize(primed + 1);
            assertThat(backend.commands()).containsSubsequence("EHLO held.example", "MAIL FROM:<a@example.org>",
                    "RCPT TO:<b@example.net>");
        }
    }

    @Test
    void aHeloTheBackendRefusesAfterTheEarlyAnswerRefusesTheNextCommandAndTheClientMayTryAgain() throws Exception {
        try (RecordingBackend backend = RecordingBackend.keepingContent().refusingHelo("refused.example");
             RunningSluice sluice = RunningSluice.relayingTo(backend.port()).healthCheckInterval(NO_PROBES).start()) {
            int primed = primeEveryLoop(sluice, backend);
            try (RawSmtpClient client = new RawSmtpClient(sluice.port())) {
                assertThat(client.reply()).startsWith("220 ");

                assertThat(client.command("EHLO refused.example")).startsWith("250 ");
                // As Postfix answers when it checks HELO at MAIL; the client is back to before HELO.
                assertThat(client.command("MAIL FROM:<a@example.org>"))
                        .isEqualTo("550 5.7.1 <refused.example>: Helo command rejected: Access denied");
                assertThat(client.command("MAIL FROM:<a@example.org>")).startsWith("503 ");

                assertThat(client.command("EHLO accepted.example")).startsWith("250 ");
                assertThat(client.command("MAIL FROM:<a@example.org>")).startsWith("250 ");
                recipientAndContent(client);
            }
            assertThat(backend.messages()).hasSize(primed + 1);
        }
    }

    @Test
    void aKeptConnectionThatDropsTheEarlyAnsweredEhloIsReplacedBeforeTheNextCommand() throws Exception {
        try (RecordingBackend backend = RecordingBackend.keepingContent().droppingFirstEhloOf("dropped.example");
             RunningSluice sluice = RunningSluice.relayingTo(backend.port()).healthCheckInterval(NO_PROBES).start()) {
            int primed = primeEveryLoop(sluice, backend);
            try (RawSmtpClient client = new RawSmtpClient(sluice.port())) {
                assertThat(client.reply()).startsWith("220 ");

                assertThat(client.command("EHLO dropped.example")).startsWith("250 ");
                // The kept connection closes instead of answering: MAIL goes on a new one, introduced first.
                assertThat(client.command("MAIL FROM:<a@example.org>")).startsWith("250 ");
                recipientAndContent(client);
            }
            assertThat(backend.messages()).hasSize(primed + 1);
            assertThat(backend.commands()).containsSubsequence("EHLO dropped.example", "EHLO dropped.example",
                    "MAIL FROM:<a@example.org>");
        }
    }

    @Test
    void aConnectionWornOutByItsUsesIsReplacedBeforeTheNextClientComes() throws Exception {
        try (RecordingBackend backend = RecordingBackend.keepingContent();
             RunningSluice sluice = RunningSluice.relayingTo(backend.port()).healthCheckInterval(NO_PROBES)
                     .reuse(new ConnectionReuseConfig(8, Duration.ofSeconds(30), 1)).start()) {
            Gauge kept = sluice.server().registry().get("sluice.backend.connections.idle").tag("pool", "mta").gauge();
            int loops = Runtime.getRuntime().availableProcessors();
            // Each loop's first client waits for a new connection; it serves that one client and is replaced.
            int sessions = 0;
            while (kept.value() < loops && sessions < 50) {
                sessionReplacingItsConnection(sluice, backend, kept);
                sessions++;
            }
            assertThat(kept.value()).as("connections waiting after %d sessions", sessions).isEqualTo(loops);

            for (int i = 0; i < 2 * loops; i++) {
                assertThat(sessionReplacingItsConnection(sluice, backend, kept))
                        .as("session %d was greeted without a new backend connection", i).isTrue();
            }
            assertThat(backend.messages()).hasSize(sessions + 2 * loops);
        }
    }

    @Test
    void nothingIsOpenedAheadOnceTheDrainHasStoppedTheListeners() throws Exception {
        try (RecordingBackend backend = RecordingBackend.keepingContent();
             RunningSluice sluice = RunningSluice.relayingTo(backend.port()).healthCheckInterval(NO_PROBES)
                     .reuse(new ConnectionReuseConfig(8, Duration.ofSeconds(30), 1))
                     .drain(new DrainConfig(Duration.ZERO, Duration.ofSeconds(30))).start();
             RawSmtpClient ending = new RawSmtpClient(sluice.port());
             RawSmtpClient holdingTheDrain = new RawSmtpClient(sluice.port())) {
            assertThat(ending.reply()).startsWith("220 ");
            assertThat(holdingTheDrain.reply()).startsWith("220 ");
            ending.startMessage();
            holdingTheDrain.startMessage();
            assertThat(backend.accepted()).isEqualTo(2);

            sluice.server().state().startDrain();
            await("listeners closed").atMost(WAIT).until(() -> RawSmtpClient.refused(sluice.port()));
            assertThat(ending.command("Subject: last\r\n\r\nhello\r\n.")).startsWith("250 ");
            assertThat(ending.reply()).startsWith("421 ");

            // Its connection, worn out by its one use, closes; no client is to come for a replacement.
            await().atMost(WAIT).until(() -> backend.openConnections() == 1);
            await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5))
                    .until(() -> backend.accepted() == 2);
            assertThat(holdingTheDrain.command("Subject: held\r\n\r\nhello\r\n.")).startsWith("250 ");
        }
    }

    /**
     * One client session through Sluice, whose backend connection serves one use: waits until that connection's
     * replacement is kept. Returns whether the client was greeted without the backend taking a new connection.
     */
    private static boolean sessionReplacingItsConnection(RunningSluice sluice, RecordingBackend backend, Gauge kept)
            throws IOException {
        double keptBefore = kept.value();
        int acceptedBefore = backend.accepted();
        boolean openedAhead;
        try (RawSmtpClient client = new RawSmtpClient(sluice.port())) {
            assertThat(client.reply()).startsWith("220 ");
            openedAhead = backend.accepted() == acceptedBefore;
            messageThenQuit(client, "client.example");
        }
        // A kept connection was taken (one fewer until its replacement), or a new one opened (one more once replaced).
        double keptAfter = openedAhead ? keptBefore : keptBefore + 1;
        await().atMost(WAIT).until(() -> kept.value() == keptAfter);
        return openedAhead;
    }

    /**
     * Sends messages until each event loop keeps a connection that has served a client, so that the next
     * client finds one whatever loop takes it; returns the messages sent.
     */
    private static int primeEveryLoop(RunningSluice sluice, RecordingBackend backend) throws IOException {
        int loops = Runtime.getRuntime().availableProcessors();
        int sent = 0;
        while (backend.connectionsWithMail() < loops && sent < 200) {
            try (RawSmtpClient client = new RawSmtpClient(sluice.port())) {
                assertThat(client.reply()).startsWith("220 ");
                messageThenQuit(client, "priming.example");
            }
            sent++;
        }
        assertThat(backend.connectionsWithMail()).as("connections kept after %d messages", sent).isEqualTo(loops);
        int primed = sent;
        await().atMost(WAIT).until(() -> backend.messages().size() == primed);
        return primed;
    }

    /** After the greeting: EHLO, one short message, each step accepted, and QUIT. */
    private static void messageThenQuit(RawSmtpClient client, String helo) throws IOException {
        assertThat(client.command("EHLO " + helo)).startsWith("250 ");
        assertThat(client.command("MAIL FROM:<a@example.org>")).startsWith("250 ");
        recipientAndContent(client);
        assertThat(client.command("QUIT")).startsWith("221 ");
    }

    /** After MAIL: one recipient and a short message, each accepted. */
    private static void recipientAndContent(RawSmtpClient client) throws IOException {
        assertThat(client.command("RCPT TO:<b@example.net>")).startsWith("250 ");
        assertThat(client.command("DATA")).startsWith("354 ");
        assertThat(client.command("Subject: test\r\n\r\nhello\r\n.")).startsWith("250 ");
    }
}
