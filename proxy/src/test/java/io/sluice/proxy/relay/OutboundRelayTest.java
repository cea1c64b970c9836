package io.sluice.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.ssl.util.SelfSignedCertificate;
import io.sluice.config.TlsConfig;
import io.sluice.proxy.peers.SmtpSinkProcess;
import io.sluice.proxy.peers.SwaksRun;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The outbound relay end to end over loopback: MX records from a DNS server in this JVM point at smtp-sink
 * instances on 127.0.0.2 and up, all on one port; the sinks record the address each message came from.
 */
class OutboundRelayTest extends MxFixture {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private SwaksRun send(int port, String to, String subject, String... extra) {
        List<String> args = new java.util.ArrayList<>(List.of("--to", to, "--header", "Subject: " + subject));
        args.addAll(List.of(extra));
        return SwaksRun.send(port, args.toArray(String[]::new));
    }

    @Test
    void eachListenersMailLeavesFromItsOwnPoolToTheDomainsMx() throws Exception {
        dns.mx("a.test", 300, 10, "mx.a.test").address("mx.a.test", 300, "127.0.0.2")
                .address("b.test", 300, "127.0.0.3");
        try (SmtpSinkProcess mxA = SmtpSinkProcess.startAt("127.0.0.2", mxPort);
             SmtpSinkProcess mxB = SmtpSinkProcess.startAt("127.0.0.3", mxPort);
             RunningOutbound sluice = RunningOutbound.resolvingWith(dns.hostPort(), mxPort).start()) {
            for (int i = 0; i < 4; i++) {
                SwaksRun run = send(sluice.port(), "user" + i + "@a.test", "normal " + i, "--pipeline");
                assertThat(run.exitCode()).as(run.output()).isZero();
            }
            SwaksRun implicit = send(sluice.port(), "user@b.test", "normal implicit");
            assertThat(implicit.exitCode()).as(implicit.output()).isZero();
            for (int i = 0; i < 3; i++) {
                SwaksRun run = send(sluice.fallbackPort(), "user" + i + "@a.test", "fallback " + i);
                assertThat(run.exitCode()).as(run.output()).isZero();
            }

            List<SmtpSinkProcess.Message> atA = mxA.awaitMessages(7, WAIT);
            assertThat(atA).filteredOn(m -> m.headers("Subject").get(0).startsWith("normal"))
                    .extracting(SmtpSinkProcess.Message::clientAddress)
                    .hasSize(4).containsOnly("127.0.0.10", "127.0.0.11").contains("127.0.0.10", "127.0.0.11");
            assertThat(atA).filteredOn(m -> m.headers("Subject").get(0).startsWith("fallback"))
                    .extracting(SmtpSinkProcess.Message::clientAddress)
                    .hasSize(3).containsOnly("127.0.0.20");
            assertThat(mxB.awaitMessages(1, WAIT)).extracting(SmtpSinkProcess.Message::clientAddress)
                    .singleElement().isIn("127.0.0.10", "127.0.0.11");
            assertThat(sluice.poolViolations()).isZero();
        }
    }

    @Test
    void mtasMayRelayOverStartTls() throws Exception {
        dns.mx("a.test", 300, 10, "mx.a.test").address("mx.a.test", 300, "127.0.0.2");
        SelfSignedCertificate certificate = new SelfSignedCertificate("relay.sluice.test");
        try (SmtpSinkProcess mx = SmtpSinkProcess.startAt("127.0.0.2", mxPort);
             RunningOutbound sluice = RunningOutbound.resolvingWith(dns.hostPort(), mxPort).listenerTls(
                     new TlsConfig(certificate.certificate().toPath(), certificate.privateKey().toPath())).start();
             RawSmtpClient client = new RawSmtpClient(sluice.port())) {
            assertThat(client.reply()).startsWith("220 ");
            assertThat(client.command("EHLO mta.example")).contains("STARTTLS");
            // Pipelined in clear after STARTTLS: must be dropped, not run over TLS.
            client.send("STARTTLS\r\nMAIL FROM:<injected@example.org>\r\n");
            assertThat(client.reply()).startsWith("220 ");
            client.startTls();
            assertThat(client.command("EHLO mta.example")).doesNotContain("STARTTLS");
            assertThat(client.command("MAIL FROM:<a@example.org>")).startsWith("250 ");
            assertThat(client.command("RCPT TO:<user@a.test>")).startsWith("250 ");
            assertThat(client.command("DATA")).startsWith("354 ");
            assertThat(client.command("Subject: tls from the mta\r\n\r\nbody\r\n.")).startsWith("250 ");
            assertThat(mx.awaitMessages(1, WAIT).get(0).mailArgs()).startsWith("<a@example.org>");
        } finally {
            certificate.delete();
        }
    }

    @Test
    void theNextMailExchangerIsTriedWhenTheFirstRefusesConnections() throws Exception {
        // Nothing listens on 127.0.0.4.
        dns.mx("a.test", 300, 10, "down.a.test", 20, "up.a.test")
                .address("down.a.test", 300, "127.0.0.4").address("up.a.test", 300, "127.0.0.2");
        try (SmtpSinkProcess up = SmtpSinkProcess.startAt("127.0.0.2", mxPort);
             RunningOutbound sluice = RunningOutbound.resolvingWith(dns.hostPort(), mxPort).start()) {
            SwaksRun run = send(sluice.port(), "user@a.test", "second mx");

            assertThat(run.exitCode()).as(run.output()).isZero();
            assertThat(up.awaitMessages(1, WAIT)).hasSize(1);
        }
    }

    @Test
    void clientsOutsideTheAllowedNetworksAreRefusedAtConnect() throws Exception {
        dns.mx("a.test", 300, 10, "mx.a.test").address("mx.a.test", 300, "127.0.0.2");
        try (SmtpSinkProcess mx = SmtpSinkProcess.startAt("127.0.0.2", mxPort);
             RunningOutbound sluice = RunningOutbound.resolvingWith(dns.hostPort(), mxPort).start()) {
            SwaksRun run = send(sluice.port(), "user@a.test", "open relay?", "--local-interface", "127.0.0.99");

            assertThat(run.exitCode()).as(run.output()).isEqualTo(21);
            assertThat(run.replies()).first().asString().startsWith("554 5.7.1");
            assertThat(dns.questions()).isEmpty();
            assertThat(mx.messages()).isEmpty();
        }
    }

    @Test
    void aSecondDestinationDomainInOneTransactionGets452() throws Exception {
        dns.mx("a.test", 300, 10, "mx.a.test").address("mx.a.test", 300, "127.0.0.2")
                .address("b.test", 300, "127.0.0.3");
        try (SmtpSinkProcess mx = SmtpSinkProcess.startAt("127.0.0.2", mxPort);
             RunningOutbound sluice = RunningOutbound.resolvingWith(dns.hostPort(), mxPort).start();
             RawSmtpClient client = new RawSmtpClient(sluice.port())) {
            assertThat(client.reply()).startsWith("220 ");
            assertThat(client.command("EHLO mta.example")).startsWith("250 ");
            assertThat(client.command("MAIL FROM:<a@example.org>")).startsWith("250 ");
            assertThat(client.command("RCPT TO:<one@a.test>")).startsWith("250 ");
            assertThat(client.command("RCPT TO:<two@b.test>")).startsWith("452 4.5.3");
            assertThat(client.command("RCPT TO:<three@A.test>")).startsWith("250 ");
            assertThat(client.command("DATA")).startsWith("354 ");
            assertThat(client.command("Subject: two of three\r\n\r\nbody\r\n.")).startsWith("250 ");
            assertThat(mx.awaitMessages(1, WAIT).get(0).rcptArgs()).containsExactly("<one@a.test>", "<three@A.test>");
        }
    }

    @Test
    void dnsFaultsGiveTheirRepliesAtRcpt() throws Exception {
        dns.servfail("servfail.test").silence("silent.test").nullMx("nullmx.test", 300);
        try (RunningOutbound sluice = RunningOutbound.resolvingWith(dns.hostPort(), mxPort)
                .remoteTimeout(Duration.ofMillis(500)).start();
             RawSmtpClient client = new RawSmtpClient(sluice.port())) {
            assertThat(client.reply()).startsWith("220 ");
            assertThat(client.command("EHLO mta.example")).startsWith("250 ");
            assertThat(rcptAlone(client, "nxdomain.test")).startsWith("550 5.1.2");
            assertThat(rcptAlone(client, "servfail.test")).startsWith("451 4.4.3");
            assertThat(rcptAlone(client, "silent.test")).startsWith("451 4.4.3");
            assertThat(rcptAlone(client, "nullmx.test")).startsWith("556 5.1.10");
        }
    }

    @Test
    void remoteFaultsGiveTheirRepliesAndNeverA250TheRemoteDidNotGive() throws Exception {
        dns.mx("refused.test", 300, 10, "mx.refused.test").address("mx.refused.test", 300, "127.0.0.4")
                .mx("greeting421.test", 300, 10, "mx.greeting421.test")
                .address("mx.greeting421.test", 300, "127.0.0.5")
                .mx("rcpt4xx.test", 300, 10, "mx.rcpt4xx.test").address("mx.rcpt4xx.test", 300, "127.0.0.6")
                .mx("rcpt5xx.test", 300, 10, "mx.rcpt5xx.test").address("mx.rcpt5xx.test", 300, "127.0.0.7")
                .mx("closes.test", 300, 10, "mx.closes.test").address("mx.closes.test", 300, "127.0.0.8");
        try (SmtpSinkProcess greeting421 = SmtpSinkProcess.startAt("127.0.0.5", mxPort, "-Q", "connect");
             SmtpSinkProcess rcpt4xx = SmtpSinkProcess.startAt("127.0.0.6", mxPort, "-r", "rcpt");
             SmtpSinkProcess rcpt5xx = SmtpSinkProcess.startAt("127.0.0.7", mxPort, "-f", "rcpt");
             SmtpSinkProcess closes = SmtpSinkProcess.startAt("127.0.0.8", mxPort, "-q", ".");
             RunningOutbound sluice = RunningOutbound.resolvingWith(dns.hostPort(), mxPort)
                     .remoteTimeout(Duration.ofSeconds(5)).start();
             RawSmtpClient client = new RawSmtpClient(sluice.port())) {
            assertThat(client.reply()).startsWith("220 ");
            assertThat(client.command("EHLO mta.example")).startsWith("250 ");
            assertThat(rcptAlone(client, "refused.test")).startsWith("451 4.4.1");
            assertThat(rcptAlone(client, "greeting421.test")).startsWith("451 4.4.1");
            assertThat(rcptAlone(client, "rcpt4xx.test")).startsWith("450 4.3.0");
            assertThat(rcptAlone(client, "rcpt5xx.test")).startsWith("500 5.3.0");

            assertThat(client.command("MAIL FROM:<a@example.org>")).startsWith("250 ");
            assertThat(client.command("RCPT TO:<user@closes.test>")).startsWith("250 ");
            assertThat(client.command("DATA")).startsWith("354 ");
            assertThat(client.command("Subject: lost\r\n\r\nbody\r\n.")).startsWith("451 4.4.2");
            assertThat(sluice.poolViolations()).isZero();
        }
    }

    /** One transaction with one recipient at the domain, reset afterwards; returns the reply to RCPT. */
    private static String rcptAlone(RawSmtpClient client, String domain) throws Exception {
        assertThat(client.command("MAIL FROM:<a@example.org>")).startsWith("250 ");
        String reply = client.command("RCPT TO:<user@" + domain + ">");
        assertThat(client.command("RSET")).startsWith("250 ");
        return reply;
    }
}
