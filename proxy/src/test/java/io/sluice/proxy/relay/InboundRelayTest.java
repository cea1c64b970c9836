package io.sluice.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.ssl.util.SelfSignedCertificate;
import io.sluice.config.BackendTls;
import io.sluice.config.Cidr;
import io.sluice.config.ProxyProtocolConfig;
import io.sluice.config.TlsConfig;
import io.sluice.proxy.peers.PostfixInstance;
import io.sluice.proxy.peers.SmtpSinkProcess;
import io.sluice.proxy.peers.SmtpSourceRun;
import io.sluice.proxy.peers.SwaksRun;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** End to end over loopback: real SMTP clients through Sluice to real SMTP servers. */
class InboundRelayTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void swaksMessageReachesTheSink() throws Exception {
        try (SmtpSinkProcess sink = SmtpSinkProcess.start();
             RunningSluice sluice = RunningSluice.relayingTo(sink.port()).start()) {
            SwaksRun run = SwaksRun.send(sluice.port(), "--pipeline", "--header", "Subject: relay check");

            assertThat(run.exitCode()).as(run.output()).isZero();
            assertThat(run.replies()).anyMatch(line -> line.startsWith("250 2.0.0"));
            List<SmtpSinkProcess.Message> messages = sink.awaitMessages(1, WAIT);
            assertThat(messages).hasSize(1);
            assertThat(messages.get(0).headers("Subject")).containsExactly("relay check");
        }
    }

    @Test
    void everyMessageFromSmtpSourceIsCounted() throws Exception {
        try (SmtpSinkProcess sink = SmtpSinkProcess.start();
             RunningSluice sluice = RunningSluice.relayingTo(sink.port()).start()) {
            SmtpSourceRun run = SmtpSourceRun.to(sluice.port(), Duration.ofSeconds(120),
                    "-s", "5", "-m", "300", "-l", "2000");

            assertThat(run.exitCode()).as(run.output()).isZero();
            assertThat(sink.awaitMessages(300, WAIT)).hasSize(300);
        }
    }

    @Test
    void postfixBackendSeesTheRealClientThroughXclient() throws Exception {
        try (SmtpSinkProcess downstream = SmtpSinkProcess.start();
             PostfixInstance postfix = PostfixInstance.start(downstream);
             RunningSluice sluice = RunningSluice.relayingTo(postfix.port()).start()) {
            SwaksRun run = SwaksRun.send(sluice.port(), "--local-interface", "127.0.0.9", "--ehlo", "client.example");

            assertThat(run.exitCode()).as(run.output()).isZero();
            SmtpSinkProcess.Message message = downstream.awaitMessages(1, Duration.ofSeconds(60)).get(0);
            assertThat(String.join("\n", message.headers("Received")))
                    .contains("client.example").contains("[127.0.0.9]");
            assertThat(postfix.awaitLog("client=", WAIT)).contains("[127.0.0.9]");
        }
    }

    @Test
    void backendConnectionsUseStartTlsWhenConfigured() throws Exception {
        SelfSignedCertificate certificate = new SelfSignedCertificate("postfix.sluice.test");
        try (SmtpSinkProcess downstream = SmtpSinkProcess.start();
             PostfixInstance postfix = PostfixInstance.start(downstream, Map.of(
                     "smtpd_tls_security_level", "may",
                     "smtpd_tls_cert_file", certificate.certificate().getAbsolutePath(),
                     "smtpd_tls_key_file", certificate.privateKey().getAbsolutePath(),
                     "smtpd_tls_loglevel", "1"));
             RunningSluice sluice = RunningSluice.relayingTo(postfix.port()).backendTls(BackendTls.STARTTLS).start()) {
            SwaksRun run = SwaksRun.send(sluice.port(), "--header", "Subject: tls to the backend");

            assertThat(run.exitCode()).as(run.output()).isZero();
            assertThat(postfix.awaitLog("TLS connection established", WAIT)).contains("TLS connection established");
            assertThat(downstream.awaitMessages(1, Duration.ofSeconds(60)).get(0).headers("Subject"))
                    .containsExactly("tls to the backend");
        } finally {
            certificate.delete();
        }
    }

    @Test
    void startTlsIsOfferedAndWorks() throws Exception {
        SelfSignedCertificate certificate = new SelfSignedCertificate("mx.sluice.test");
        try (SmtpSinkProcess sink = SmtpSinkProcess.start();
             RunningSluice sluice = RunningSluice.relayingTo(sink.port())
                     .tls(new TlsConfig(certificate.certificate().toPath(), certificate.privateKey().toPath()))
                     .start()) {
            SwaksRun run = SwaksRun.send(sluice.port(), "--tls", "--header", "Subject: over tls");

            assertThat(run.exitCode()).as(run.output()).isZero();
            assertThat(sink.awaitMessages(1, WAIT).get(0).headers("Subject")).containsExactly("over tls");
        } finally {
            certificate.delete();
        }
    }

    @Test
    void trustedProxyHeaderGivesTheBackendTheOriginalClient() throws Exception {
        ProxyProtocolConfig proxy = new ProxyProtocolConfig(List.of(Cidr.parse("127.0.0.0/8")), Duration.ofSeconds(5));
        try (SmtpSinkProcess downstream = SmtpSinkProcess.start();
             PostfixInstance postfix = PostfixInstance.start(downstream);
             RunningSluice sluice = RunningSluice.relayingTo(postfix.port()).proxyProtocol(proxy).start();
             RawSmtpClient client = new RawSmtpClient(sluice.port())) {
            client.send("PROXY TCP4 192.0.2.7 127.0.0.1 40000 25\r\n");

            assertThat(client.reply()).startsWith("220 ");
            assertThat(client.command("EHLO client.example")).startsWith("250 ");
            assertThat(client.command("MAIL FROM:<a@example.org>")).startsWith("250 ");
            assertThat(client.command("RCPT TO:<b@example.net>")).startsWith("250 ");
            assertThat(client.command("DATA")).startsWith("354 ");
            assertThat(client.command("Subject: proxied\r\n\r\nhello\r\n.")).startsWith("250 ");
            assertThat(postfix.awaitLog("client=", WAIT)).contains("[192.0.2.7]");
            assertThat(String.join("\n", downstream.awaitMessages(1, Duration.ofSeconds(60)).get(0).headers("Received")))
                    .contains("[192.0.2.7]");
        }
    }

    @Test
    void proxyHeaderFromAnUntrustedAddressIsClosedWithoutBanner() throws Exception {
        ProxyProtocolConfig proxy = new ProxyProtocolConfig(List.of(Cidr.parse("127.0.0.2/32")), Duration.ofSeconds(5));
        try (SmtpSinkProcess sink = SmtpSinkProcess.start();
             RunningSluice sluice = RunningSluice.relayingTo(sink.port()).proxyProtocol(proxy).start();
             RawSmtpClient client = new RawSmtpClient("127.0.0.1", sluice.port())) {
            client.send("PROXY TCP4 192.0.2.7 127.0.0.1 40000 25\r\n");

            assertThat(client.closedWithoutReply()).isTrue();
        }
    }

    @Test
    void missingProxyHeaderIsClosedWithoutBanner() throws Exception {
        ProxyProtocolConfig proxy = new ProxyProtocolConfig(List.of(Cidr.parse("127.0.0.0/8")), Duration.ofSeconds(5));
        try (SmtpSinkProcess sink = SmtpSinkProcess.start();
             RunningSluice sluice = RunningSluice.relayingTo(sink.port()).proxyProtocol(proxy).start();
             RawSmtpClient client = new RawSmtpClient(sluice.port())) {
            client.send("EHLO client.example\r\n");

            assertThat(client.closedWithoutReply()).isTrue();
        }
    }
}
