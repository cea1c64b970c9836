package io.sluice.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.config.Cidr;
import io.sluice.config.EgressDestinations;
import io.sluice.proxy.egress.ConnectionTrap;
import io.sluice.proxy.peers.SmtpSinkProcess;
import io.sluice.proxy.peers.SwaksRun;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The attacker owns a recipient domain's DNS and points its MX, A or AAAA records at the relay's own network:
 * loopback, the unspecified address, RFC 1918, the cloud metadata address, IPv4-mapped loopback, IPv6 loopback.
 * Sluice refuses each with {@code 550 5.4.4} and connects to none; listeners wait on the loopback ones to prove it.
 */
class EgressDestinationTest extends MxFixture {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final byte[] MAPPED_LOOPBACK = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, -1, 127, 0, 0, 1};

    @Test
    void everyForbiddenClassIsRefusedWith550AndNothingConnects() throws Exception {
        dns.address("loopback.test", 300, "127.0.0.1")
                .mx("loopback8.test", 300, 10, "mx.loopback8.test").address("mx.loopback8.test", 300, "127.9.8.7")
                .address("zero.test", 300, "0.0.0.0")
                .mx("ten.test", 300, 10, "mx.ten.test").address("mx.ten.test", 300, "10.1.2.3")
                .address("metadata.test", 300, "169.254.169.254")
                .mx("mapped.test", 300, 10, "mx.mapped.test").aaaa("mx.mapped.test", 300, MAPPED_LOOPBACK)
                .address("six.test", 300, "::1");
        try (ConnectionTrap loopback = ConnectionTrap.at("127.0.0.1", mxPort);
             ConnectionTrap loopback8 = ConnectionTrap.at("127.9.8.7", mxPort);
             ConnectionTrap six = ConnectionTrap.at("::1", mxPort)) {
            // The traps do catch what a connect to these addresses reaches (on Linux 0.0.0.0 is this host).
            for (String address : List.of("127.0.0.1", "127.9.8.7", "0.0.0.0", "::1")) {
                try (Socket probe = new Socket()) {
                    probe.connect(new InetSocketAddress(address, mxPort), 5000);
                }
            }
            org.awaitility.Awaitility.await().atMost(WAIT).until(() ->
                    loopback.connections() == 2 && loopback8.connections() == 1 && six.connections() == 1);

            // An IPv6 source too, so that ::1 is refused for being forbidden, not for lack of a source to reach it.
            try (RunningOutbound sluice = RunningOutbound.resolvingWith(dns.hostPort(), mxPort)
                         .destinations(EgressDestinations.DEFAULT).normalSources("127.0.0.10,::1").start();
                 RawSmtpClient client = new RawSmtpClient(sluice.port())) {
                assertThat(client.reply()).startsWith("220 ");
                assertThat(client.command("EHLO mta.example")).startsWith("250");
                for (String domain : List.of("loopback.test", "loopback8.test", "zero.test", "ten.test",
                        "metadata.test", "mapped.test", "six.test")) {
                    assertThat(client.command("MAIL FROM:<a@example.org>")).startsWith("250 ");
                    assertThat(client.command("RCPT TO:<user@" + domain + ">")).as(domain)
                            .startsWith("550 5.4.4");
                    assertThat(client.command("RSET")).startsWith("250 ");
                }

                assertThat(loopback.connections()).isEqualTo(2);
                assertThat(loopback8.connections()).isEqualTo(1);
                assertThat(six.connections()).isEqualTo(1);
                // 10/8 and 169.254/16 have no listener here: the screen refused them before any connect.
                assertThat(Map.of("loopback", sluice.destinationsRefused("loopback"),
                        "unspecified", sluice.destinationsRefused("unspecified"),
                        "private", sluice.destinationsRefused("private"),
                        "link_local", sluice.destinationsRefused("link_local")))
                        .containsExactlyInAnyOrderEntriesOf(Map.of("loopback", 4.0, "unspecified", 1.0,
                                "private", 1.0, "link_local", 1.0));
            }
        }
    }

    @Test
    void aHostileAnswerMixingForbiddenAndPermittedHostsDeliversToThePermittedOnly() throws Exception {
        // 127.0.0.2 stands for a public MX: the only loopback address the allow-list opens.
        dns.mx("mix.test", 300, 10, "internal.mix.test", 10, "metadata.mix.test", 20, "public.mix.test")
                .address("internal.mix.test", 300, "127.0.0.1")
                .address("metadata.mix.test", 300, "169.254.169.254")
                .address("public.mix.test", 300, "10.0.0.1", "127.0.0.2");
        try (ConnectionTrap internal = ConnectionTrap.at("127.0.0.1", mxPort);
             SmtpSinkProcess permitted = SmtpSinkProcess.startAt("127.0.0.2", mxPort);
             RunningOutbound sluice = RunningOutbound.resolvingWith(dns.hostPort(), mxPort)
                     .destinations(new EgressDestinations(List.of(Cidr.parse("127.0.0.2/32")), List.of())).start()) {
            SwaksRun run = SwaksRun.send(sluice.port(), "--to", "user@mix.test", "--header", "Subject: mixed");

            assertThat(run.exitCode()).as(run.output()).isZero();
            assertThat(permitted.awaitMessages(1, WAIT)).hasSize(1);
            assertThat(internal.connections()).isZero();
            assertThat(sluice.destinationsRefused("loopback")).isEqualTo(1);
            assertThat(sluice.destinationsRefused("link_local")).isEqualTo(1);
            assertThat(sluice.destinationsRefused("private")).isEqualTo(1);
        }
    }

    @Test
    void forbiddenHostsBesideALookupThatFailedForNowGive451() throws Exception {
        dns.mx("partial.test", 300, 10, "internal.partial.test", 20, "broken.partial.test")
                .address("internal.partial.test", 300, "127.0.0.1").servfail("broken.partial.test");
        try (ConnectionTrap internal = ConnectionTrap.at("127.0.0.1", mxPort);
             RunningOutbound sluice = RunningOutbound.resolvingWith(dns.hostPort(), mxPort)
                     .destinations(EgressDestinations.DEFAULT).start();
             RawSmtpClient client = new RawSmtpClient(sluice.port())) {
            assertThat(client.reply()).startsWith("220 ");
            assertThat(client.command("EHLO mta.example")).startsWith("250");
            assertThat(client.command("MAIL FROM:<a@example.org>")).startsWith("250 ");

            assertThat(client.command("RCPT TO:<user@partial.test>")).startsWith("451 4.4.3");
            assertThat(internal.connections()).isZero();
        }
    }

    @Test
    void theAllowListLetsDeliveryReachLoopback() throws Exception {
        dns.address("loopback.test", 300, "127.0.0.1");
        try (SmtpSinkProcess mx = SmtpSinkProcess.startAt("127.0.0.1", mxPort);
             RunningOutbound sluice = RunningOutbound.resolvingWith(dns.hostPort(), mxPort)
                     .destinations(RunningOutbound.LOOPBACK_ALLOWED).start()) {
            SwaksRun run = SwaksRun.send(sluice.port(), "--to", "user@loopback.test", "--header", "Subject: allowed");

            assertThat(run.exitCode()).as(run.output()).isZero();
            assertThat(mx.awaitMessages(1, WAIT)).hasSize(1);
            assertThat(sluice.destinationsRefused("loopback")).isZero();
        }
    }

    @Test
    void theRemoteGetsMailAndRcptRebuiltWithoutSourceRoutes() throws Exception {
        dns.address("dest.test", 300, "127.0.0.1");
        try (RecordingBackend remote = RecordingBackend.keepingContent();
             RunningOutbound sluice = RunningOutbound.resolvingWith(dns.hostPort(), remote.port()).start();
             RawSmtpClient client = new RawSmtpClient(sluice.port())) {
            assertThat(client.reply()).startsWith("220 ");
            assertThat(client.command("EHLO mta.example")).startsWith("250");
            assertThat(client.command("MAIL FROM:<@route.example:a@example.org>")).startsWith("250 ");
            assertThat(client.command("RCPT TO:<@evil.example,@internal.example:user@dest.test>"))
                    .startsWith("250 ");
            // Sluice offers no DSN, so its parameters are refused here and never reach the remote.
            assertThat(client.command("RCPT TO:<other@dest.test> NOTIFY=NEVER ORCPT=rfc822;x@evil.example"))
                    .startsWith("555 5.5.4");
            assertThat(client.command("DATA")).startsWith("354 ");
            assertThat(client.command("Subject: routed\r\n\r\nbody\r\n.")).startsWith("250 ");

            assertThat(remote.commands()).contains("MAIL FROM:<a@example.org>", "RCPT TO:<user@dest.test>")
                    .noneMatch(command -> command.contains("example:") || command.contains("evil")
                            || command.contains("NOTIFY"));
        }
    }
}
