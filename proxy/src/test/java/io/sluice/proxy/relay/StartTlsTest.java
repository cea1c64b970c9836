package io.sluice.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.ssl.util.SelfSignedCertificate;
import io.sluice.config.TlsConfig;
import io.sluice.proxy.peers.ExternalTool;
import io.sluice.proxy.peers.SmtpSinkProcess;
import io.sluice.proxy.peers.SwaksRun;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * STARTTLS on an inbound listener (RFC 3207), with TLS 1.2 and 1.3 only and forward-secret AEAD ciphers (openssl as
 * the client).
 */
class StartTlsTest {

    private static SelfSignedCertificate certificate;

    @BeforeAll
    static void certificate() throws Exception {
        certificate = new SelfSignedCertificate("mx.sluice.test");
    }

    @AfterAll
    static void deleteCertificate() {
        certificate.delete();
    }

    private static RunningSluice.Builder withTls(int backendPort) {
        return RunningSluice.relayingTo(backendPort)
                .tls(new TlsConfig(certificate.certificate().toPath(), certificate.privateKey().toPath()));
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

    @Test
    void tls11IsRefusedByTheServerAnd12And13UseAeadCiphers() throws Exception {
        try (SmtpSinkProcess sink = SmtpSinkProcess.start();
             RunningSluice sluice = withTls(sink.port()).start()) {
            // Security level 0 lets the client offer TLS 1.1 at all: the refusal must come from Sluice.
            ExternalTool.Finished old = handshake(sluice.port(), "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0");
            ExternalTool.Finished tls12 = handshake(sluice.port(), "-tls1_2");
            ExternalTool.Finished tls13 = handshake(sluice.port(), "-tls1_3");

            assertThat(old.output()).as(old.output()).contains("alert protocol version");
            assertThat(tls12.output()).as(tls12.output())
                    .containsPattern("New, TLSv1.2, Cipher is ECDHE-[A-Z0-9]+-(AES[0-9]+-GCM-SHA[0-9]+|CHACHA20-POLY1305)");
            assertThat(tls13.output()).as(tls13.output())
                    .containsPattern("New, TLSv1.3, Cipher is TLS_(AES_[0-9]+_GCM_SHA[0-9]+|CHACHA20_POLY1305_SHA256)");
        }
    }

    private static ExternalTool.Finished handshake(int port, String... options) {
        List<String> args = new ArrayList<>(List.of("s_client", "-connect", "127.0.0.1:" + port,
                "-starttls", "smtp", "-servername", "mx.sluice.test"));
        args.addAll(List.of(options));
        return ExternalTool.run(Duration.ofSeconds(30), ExternalTool.requireTool("openssl"), args);
    }
}
