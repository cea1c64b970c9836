package io.sluice.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.config.AdmissionConfig;
import io.sluice.config.AdmissionMode;
import java.io.IOException;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A backend pool's adaptive admission over loopback: every way a transaction ends gives its place back once, and the
 * limit falls when the backend slows down (MAILs over it get 451 4.3.2 and never reach the backend), then rises again
 * when the backend recovers.
 */
@Timeout(180)
class AdmissionRelayTest {

    private static final AdmissionConfig ADAPTIVE = new AdmissionConfig(AdmissionMode.ADAPTIVE, 2, 16, 10,
            AdmissionConfig.DEFAULT_REPLY);
    // Vegas moves the limit only while at least half of it is in use: the clients outnumber half its maximum.
    private static final int CLIENTS = 12;

    @Test
    void everyEndingOfATransactionGivesItsPlaceBackOnce() throws Exception {
        try (RecordingBackend backend = RecordingBackend.keepingContent();
             RunningSluice sluice = RunningSluice.relayingTo(backend.port()).admission(ADAPTIVE).start()) {
            MeterRegistry registry = sluice.server().registry();

            // Delivered: the final reply.
            endsWith(sluice, registry, client -> {
                assertThat(client.command("DATA")).startsWith("354 ");
                assertThat(client.command("Subject: t\r\n\r\nbody\r\n.")).startsWith("250 ");
            });
            // RSET, EHLO and QUIT in the middle of a transaction.
            endsWith(sluice, registry, client -> assertThat(client.command("RSET")).startsWith("250 "));
            endsWith(sluice, registry, client -> assertThat(client.command("EHLO again.example")).startsWith("250 "));
            endsWith(sluice, registry, client -> assertThat(client.command("QUIT")).startsWith("221 "));
            // The client leaves in the middle of its message.
            endsWith(sluice, registry, client -> {
                assertThat(client.command("DATA")).startsWith("354 ");
                client.send("Subject: cut\r\n\r\npart of a");
                client.close();
            });
            // The backend is lost at the end of the message.
            backend.droppingAtEndOfData(true);
            endsWith(sluice, registry, client -> {
                assertThat(client.command("DATA")).startsWith("354 ");
                assertThat(client.command("Subject: t\r\n\r\nbody\r\n.")).startsWith("451 4.4.2");
            });
            backend.droppingAtEndOfData(false);

            // A MAIL the backend refuses ends the transaction, and its place is given back before the client hears:
            // at the MAIL, or at the recipient where the MAIL was held for it (a kept connection sends the session's
            // first MAIL at once, after the backend's answer to the client's introduction).
            backend.refusingMail("452 4.3.1 Insufficient system storage");
            try (RawSmtpClient client = new RawSmtpClient(sluice.port())) {
                client.greetedAndIntroduced();
                String mail = client.command("MAIL FROM:<a@example.org>");
                String refusal = mail.startsWith("250 ") ? client.command("RCPT TO:<b@example.net>") : mail;
                assertThat(refusal).startsWith("452 4.3.1");
                assertThat(inflight(registry)).isZero();
            }
            backend.refusingMail("");

            // After all of those, a new transaction counts one: none was given back twice.
            try (RawSmtpClient client = new RawSmtpClient(sluice.port())) {
                client.greetedAndIntroduced();
                assertThat(client.command("MAIL FROM:<a@example.org>")).startsWith("250 ");
                assertThat(inflight(registry)).isEqualTo(1);
            }
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> inflight(registry) == 0);
        }
    }

    @Test
    void theLimitFallsWithASlowBackendAndRisesWhenItRecovers() throws Exception {
        try (RecordingBackend backend = RecordingBackend.keepingContent();
             RunningSluice sluice = RunningSluice.relayingTo(backend.port()).admission(ADAPTIVE).start()) {
            MeterRegistry registry = sluice.server().registry();
            // A backend answering in 20 ms, as an MTA that writes its queue file does: loopback's jitter, small
            // beside it, is not taken for queueing.
            backend.delayingFinalReply(20);
            try (AdmissionLoad load = new AdmissionLoad(sluice.port(), CLIENTS)) {
                // The law learns the backend's unloaded time, and lets the limit rise. The limit moves by a step at
                // each transaction: what is asserted is that it gets there, not where it stands at one instant.
                Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                        .until(() -> load.delivered.get() >= 300 && limit(registry) >= 8);

                // The backend's queue grows: its final replies take 250 ms.
                backend.delayingFinalReply(250);
                Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                        .until(() -> limit(registry) <= 3);
                Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> load.refused.get() >= 20);
                assertThat(load.refusals).allMatch(reply -> reply.startsWith("451 4.3.2 Busy, try again later"));
                // Over the limit nothing reaches the backend: it never has more transactions open than the limit.
                backend.resetMostOpenTransactions();
                int refusedBefore = load.refused.get();
                Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> load.refused.get() >= refusedBefore + 50);
                assertThat(limit(registry)).isLessThanOrEqualTo(3);
                assertThat(backend.mostOpenTransactions()).isBetween(1, 3);
                assertThat(refusedCount(registry)).isGreaterThanOrEqualTo(load.refused.get() - 8);

                // The backend recovers: the limit rises again, and MAILs pass.
                backend.delayingFinalReply(20);
                Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                        .until(() -> limit(registry) >= 8);
                int deliveredBefore = load.delivered.get();
                Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> load.delivered.get() >= deliveredBefore + 100);
            }
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> inflight(registry) == 0);
        }
    }

    private interface Ending {
        void end(RawSmtpClient client) throws IOException;
    }

    /** Opens a transaction (one place taken), ends it as given, and waits for the place to be given back. */
    private static void endsWith(RunningSluice sluice, MeterRegistry registry, Ending ending) throws IOException {
        try (RawSmtpClient client = new RawSmtpClient(sluice.port())) {
            assertThat(client.reply()).startsWith("220 ");
            client.openTransaction();
            assertThat(inflight(registry)).isEqualTo(1);
            ending.end(client);
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> inflight(registry) <= 0);
            assertThat(inflight(registry)).isZero();
        }
    }

    private static double inflight(MeterRegistry registry) {
        return registry.get("sluice.admission.inflight").tag("pool", "mta").gauge().value();
    }

    private static double limit(MeterRegistry registry) {
        return registry.get("sluice.admission.limit").tag("pool", "mta").gauge().value();
    }

    private static double refusedCount(MeterRegistry registry) {
        return registry.get("sluice.admission.refused").tag("pool", "mta").tag("mode", "adaptive").counter().count();
    }
}
