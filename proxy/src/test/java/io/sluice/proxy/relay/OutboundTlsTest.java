package io.sluice.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.ssl.util.SelfSignedCertificate;
import io.sluice.config.EgressTls;
import io.sluice.proxy.egress.TestDnsServer;
import io.sluice.proxy.peers.PostfixInstance;
import io.sluice.proxy.peers.SmtpSinkProcess;
import io.sluice.testing.TestPorts;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** STARTTLS towards the remote MX as the pool says: a real Postfix smtpd with a self-signed certificate as the MX. */
class OutboundTlsTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

    private static PostfixInstance tlsPostfix(SmtpSinkProcess downstream, SelfSignedCertificate certificate) {
        return PostfixInstance.start(downstream, Map.of(
                "smtpd_tls_security_level", "may",
                "smtpd_tls_cert_file", certificate.certificate().getAbsolutePath(),
                "smtpd_tls_key_file", certificate.privateKey().getAbsolutePath(),
                "smtpd_tls_loglevel", "1"));
    }

    @Test
    void opportunisticTlsEncryptsWhereOfferedWithoutCheckingTheCertificate() throws Exception {
        SelfSignedCertificate certificate = new SelfSignedCertificate("mx.a.test");
        try (TestDnsServer dns = TestDnsServer.start();
             SmtpSinkProcess downstream = SmtpSinkProcess.start();
             PostfixInstance mx = tlsPostfix(downstream, certificate);
             RunningOutbound sluice = RunningOutbound.resolvingWith(dns.hostPort(), mx.port())
                     .tls(EgressTls.OPPORTUNISTIC).start();
             RawSmtpClient client = new RawSmtpClient(sluice.port())) {
            dns.mx("a.test", 300, 10, "mx.a.test").address("mx.a.test", 300, "127.0.0.1");

            assertThat(client.reply()).startsWith("220 ");
            assertThat(client.command("EHLO mta.example")).startsWith("250 ");
            assertThat(client.command("MAIL FROM:<a@example.org> BODY=8BITMIME")).startsWith("250 ");
            assertThat(client.command("RCPT TO:<user@a.test>")).startsWith("250 ");
            assertThat(client.command("DATA")).startsWith("354 ");
            assertThat(client.command("Subject: over tls\r\n\r\nbody\r\n.")).startsWith("250 ");

            assertThat(mx.awaitLog("TLS connection established from", WAIT))
                    .containsPattern("TLS connection established from unknown\\[127\\.0\\.0\\.1[01]\\]")
                    .containsPattern("helo=<out[01]\\.sluice\\.test>|client=unknown\\[127\\.0\\.0\\.1[01]\\]");
            assertThat(downstream.awaitMessages(1, WAIT).get(0).headers("Subject")).containsExactly("over tls");
        } finally {
            certificate.delete();
        }
    }

    @Test
    void requiredTlsRefusesACertificateNotValidForTheMxAndARemoteWithoutStartTls() throws Exception {
        SelfSignedCertificate certificate = new SelfSignedCertificate("mx.a.test");
        int port = TestPorts.freeOnEveryAddress();
        try (TestDnsServer dns = TestDnsServer.start();
             SmtpSinkProcess downstream = SmtpSinkProcess.start();
             PostfixInstance selfSigned = tlsPostfix(downstream, certificate);
             SmtpSinkProcess plain = SmtpSinkProcess.startAt("127.0.0.2", port);
             RunningOutbound toSelfSigned = RunningOutbound.resolvingWith(dns.hostPort(), selfSigned.port())
                     .tls(EgressTls.REQUIRED).start();
             RunningOutbound toPlain = RunningOutbound.resolvingWith(dns.hostPort(), port)
                     .tls(EgressTls.REQUIRED).start()) {
            dns.mx("a.test", 300, 10, "mx.a.test").address("mx.a.test", 300, "127.0.0.1")
                    .mx("b.test", 300, 10, "mx.b.test").address("mx.b.test", 300, "127.0.0.2");

            assertThat(rcpt(toSelfSigned, "user@a.test")).startsWith("451 4.4.1");
            assertThat(rcpt(toPlain, "user@b.test")).startsWith("451 4.4.1");
            assertThat(plain.messages()).isEmpty();
            assertThat(downstream.messages()).isEmpty();
        } finally {
            certificate.delete();
        }
    }

    private static String rcpt(RunningOutbound sluice, String recipient) throws Exception {
        try (RawSmtpClient client = new RawSmtpClient(sluice.port())) {
            assertThat(client.reply()).startsWith("220 ");
            assertThat(client.command("EHLO mta.example")).startsWith("250 ");
            assertThat(client.command("MAIL FROM:<a@example.org>")).startsWith("250 ");
            return client.command("RCPT TO:<" + recipient + ">");
        }
    }
}
