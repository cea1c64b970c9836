package io.sluice.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proxy.peers.OpenSslSuites;
import io.sluice.proxy.peers.ServerKeys;
import io.sluice.proxy.peers.SmtpSinkProcess;
import io.sluice.proxy.peers.SwaksRun;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * STARTTLS on an inbound listener (RFC 3207), with TLS 1.2 and 1.3 only and forward-secret AEAD ciphers: openssl as
 * the client offers every TLS 1.2 suite it knows, one at a time, for an RSA and an ECDSA certificate.
 */
class StartTlsTest {

    @RegisterExtension
    static final ServerKeys KEYS = new ServerKeys();

    private static RunningSluice.Builder withTls(int backendPort) {
        return withTls(backendPort, "RSA");
    }

    private static RunningSluice.Builder withTls(int backendPort, String keyType) {
        return RunningSluice.relayingTo(backendPort).tls(KEYS.tls(keyType));
    }

    @Test
    void swaksDeliversOverTls() throws Exception {
        try (SmtpSinkProcess sink = SmtpSinkProcess.start();
             RunningSluice sluice = withTls(sink.port()).start()) {
            SwaksRun run = SwaksRun.send(sluice.port(), "--tls", "--header", "Subject: over tls");

            assertThat(run.exitCode()).as(run.output()).isZero();
            assertThat(sink.awaitMessages(1, Duration.ofSeconds(30)).get(0).headers("Subject"))
                    .containsExactly("over tls");
        }
    }

    @Test
    void commandsPipelinedAfterStartTlsAreDiscarded() throws Exception {
        try (SmtpSinkProcess sink = SmtpSinkProcess.start();
             RunningSluice sluice = withTls(sink.port()).start();
             RawSmtpClient client = new RawSmtpClient(sluice.port())) {
            assertThat(client.reply()).startsWith("220 ");
            List<String> ehlo = client.send("EHLO client.example\r\n").replyLines();
            assertThat(ehlo).anyMatch(line -> line.substring(4).equals("STARTTLS"));

            // CVE-2011-0411: the injected MAIL travels in clear in the same packet as STARTTLS.
            client.send("STARTTLS\r\nMAIL FROM:<injected@example.org>\r\n");
            assertThat(client.reply()).startsWith("220 2.0.0");
            client.startTls();

            List<String> afterTls = client.send("EHLO client.example\r\n").replyLines();
            assertThat(afterTls.get(0)).startsWith("250");
            assertThat(afterTls).noneMatch(line -> line.substring(4).equals("STARTTLS"));
            // Had the injected MAIL been acted on, this one would be a nested MAIL (503).
            assertThat(client.command("MAIL FROM:<a@example.org>")).startsWith("250 ");
            assertThat(client.command("STARTTLS")).startsWith("503 ");
        }
    }

    @Test
    void mailBeforeEhloAgainAfterTlsIsRefused() throws Exception {
        try (SmtpSinkProcess sink = SmtpSinkProcess.start();
             RunningSluice sluice = withTls(sink.port()).start();
             RawSmtpClient client = new RawSmtpClient(sluice.port())) {
            assertThat(client.reply()).startsWith("220 ");
            assertThat(client.command("EHLO client.example")).startsWith("250 ");
            assertThat(client.command("STARTTLS")).startsWith("220 ");
            client.startTls();

            // RFC 3207 §4.2: the session starts over; the client must say EHLO again.
            assertThat(client.command("MAIL FROM:<a@example.org>")).startsWith("503 5.5.1");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"RSA", "ECDSA"})
    void tls12AgreesOnForwardSecretAeadSuitesOnly(String keyType) throws Exception {
        try (SmtpSinkProcess sink = SmtpSinkProcess.start();
             RunningSluice sluice = withTls(sink.port(), keyType).start()) {
            // Each suite offered alone: static RSA, CBC, DHE, CCM, ARIA, NULL and anonymous ones must all fail.
            OpenSslSuites.assertTls12ForwardSecretAeadOnly(startTls(sluice.port()), keyType);
        }
    }

    @Test
    void tls13IsSpokenAndTls11AndBelowAreRefusedByTheServer() throws Exception {
        try (SmtpSinkProcess sink = SmtpSinkProcess.start();
             RunningSluice sluice = withTls(sink.port(), "RSA").start()) {
            OpenSslSuites.assertTls13AndNothingBelowTls12(startTls(sluice.port()));
        }
    }

    private static List<String> startTls(int port) {
        return List.of("-connect", "127.0.0.1:" + port, "-starttls", "smtp", "-servername", "mx.sluice.test");
    }
}
