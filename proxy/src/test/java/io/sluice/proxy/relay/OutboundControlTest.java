package io.sluice.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.config.BucketSync;
import io.sluice.config.Counted;
import io.sluice.config.DrainConfig;
import io.sluice.config.LimitRule;
import io.sluice.config.NetPrefixes;
import io.sluice.config.PolicyConfig;
import io.sluice.config.RuleKey;
import io.sluice.config.RuleMatch;
import io.sluice.proxy.egress.EgressPool;
import io.sluice.proxy.peers.SmtpSinkProcess;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What operators steer on the outbound relay: per-destination limits, suspended sources, the drain. */
class OutboundControlTest extends MxFixture {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @BeforeEach
    void zone() {
        dns.mx("a.test", 300, 10, "mx.a.test").address("mx.a.test", 300, "127.0.0.2")
                .mx("b.test", 300, 10, "mx.b.test").address("mx.b.test", 300, "127.0.0.2");
    }

    private static LimitRule limit(String name, RuleKey key) {
        return new LimitRule(name, Set.of("relay"), key, NetPrefixes.DEFAULT, Counted.MESSAGES, Rules.perHour(1), 1,
                Optional.of(Rules.BUSY), LimitRule.Exceeded.REFUSE, Duration.ZERO, false, RuleMatch.NONE,
                RuleMatch.NONE, BucketSync.EXACT);
    }

    @Test
    void aDestinationThrottleRefusesMoreMailToThatDomainOnly() throws Exception {
        try (SmtpSinkProcess mx = SmtpSinkProcess.startAt("127.0.0.2", mxPort);
             RunningOutbound sluice = RunningOutbound.resolvingWith(dns.hostPort(), mxPort)
                     .policy(new PolicyConfig(List.of(limit("per-destination", RuleKey.DESTINATION_DOMAIN)),
                             List.of())).start();
             RawSmtpClient client = new RawSmtpClient(sluice.port())) {
            assertThat(client.reply()).startsWith("220 ");
            assertThat(client.command("EHLO mta.example")).startsWith("250 ");

            assertThat(message(client, "one@a.test")).startsWith("250 ");
            assertThat(client.command("MAIL FROM:<a@example.org>")).startsWith("250 ");
            assertThat(client.command("RCPT TO:<two@a.test>")).startsWith("451 4.7.1");
            assertThat(client.command("RSET")).startsWith("250 ");
            assertThat(message(client, "one@b.test")).startsWith("250 ");
            assertThat(mx.awaitMessages(2, WAIT)).hasSize(2);
        }
    }

    @Test
    void aSourceThrottleCountsEachSourceAddress() throws Exception {
        try (SmtpSinkProcess mx = SmtpSinkProcess.startAt("127.0.0.2", mxPort);
             RunningOutbound sluice = RunningOutbound.resolvingWith(dns.hostPort(), mxPort)
                     .policy(new PolicyConfig(List.of(limit("per-source", RuleKey.EGRESS_SOURCE)), List.of()))
                     .start();
             RawSmtpClient client = new RawSmtpClient(sluice.port())) {
            assertThat(client.reply()).startsWith("220 ");
            assertThat(client.command("EHLO mta.example")).startsWith("250 ");

            // Round robin over two sources with one message each: the third has no source left with tokens.
            assertThat(message(client, "one@a.test")).startsWith("250 ");
            assertThat(message(client, "two@a.test")).startsWith("250 ");
            assertThat(client.command("MAIL FROM:<a@example.org>")).startsWith("250 ");
            assertThat(client.command("RCPT TO:<three@a.test>")).startsWith("451 4.7.1");
            assertThat(mx.awaitMessages(2, WAIT)).extracting(SmtpSinkProcess.Message::clientAddress)
                    .containsExactlyInAnyOrder("127.0.0.10", "127.0.0.11");
        }
    }

    @Test
    void aSuspendedSourceIsNotUsedUntilResumed() throws Exception {
        try (SmtpSinkProcess mx = SmtpSinkProcess.startAt("127.0.0.2", mxPort);
             RunningOutbound sluice = RunningOutbound.resolvingWith(dns.hostPort(), mxPort).start();
             RawSmtpClient client = new RawSmtpClient(sluice.port())) {
            EgressPool normal = sluice.server().outbound().pools().pool("normal").orElseThrow();
            assertThat(normal.suspend(InetAddress.getByName("127.0.0.10"))).isTrue();
            assertThat(client.reply()).startsWith("220 ");
            assertThat(client.command("EHLO mta.example")).startsWith("250 ");

            for (int i = 0; i < 3; i++) {
                assertThat(message(client, "user" + i + "@a.test")).startsWith("250 ");
            }
            assertThat(mx.awaitMessages(3, WAIT)).extracting(SmtpSinkProcess.Message::clientAddress)
                    .containsOnly("127.0.0.11");

            assertThat(normal.resume(InetAddress.getByName("127.0.0.10"))).isTrue();
            for (int i = 0; i < 2; i++) {
                assertThat(message(client, "again" + i + "@a.test")).startsWith("250 ");
            }
            assertThat(mx.awaitMessages(5, WAIT)).extracting(SmtpSinkProcess.Message::clientAddress)
                    .contains("127.0.0.10");
        }
    }

    @Test
    void aTransactionRefusedForASuspendedSiteLeavesTheRoundRobinsTurnWhereItWas() throws Exception {
        try (SmtpSinkProcess mx = SmtpSinkProcess.startAt("127.0.0.2", mxPort);
             RunningOutbound sluice = RunningOutbound.resolvingWith(dns.hostPort(), mxPort).start();
             RawSmtpClient client = new RawSmtpClient(sluice.port())) {
            EgressPool normal = sluice.server().outbound().pools().pool("normal").orElseThrow();
            assertThat(normal.suspend(null, "mx.b.test", true)).isTrue();
            assertThat(client.reply()).startsWith("220 ");
            assertThat(client.command("EHLO mta.example")).startsWith("250 ");

            // Two sources in turn: the refusal in between must not take a turn, or both messages use one source.
            assertThat(message(client, "one@a.test")).startsWith("250 ");
            assertThat(client.command("MAIL FROM:<a@example.org>")).startsWith("250 ");
            assertThat(client.command("RCPT TO:<user@b.test>")).startsWith("451 4.4.5");
            assertThat(client.command("RSET")).startsWith("250 ");
            assertThat(message(client, "two@a.test")).startsWith("250 ");
            assertThat(mx.awaitMessages(2, WAIT)).extracting(SmtpSinkProcess.Message::clientAddress)
                    .containsExactlyInAnyOrder("127.0.0.10", "127.0.0.11");
        }
    }

    @Test
    void theDrainLetsATransactionFinishWithTheRemotes250ThenSays421() throws Exception {
        try (SmtpSinkProcess mx = SmtpSinkProcess.startAt("127.0.0.2", mxPort);
             RunningOutbound sluice = RunningOutbound.resolvingWith(dns.hostPort(), mxPort)
                     .drain(new DrainConfig(Duration.ZERO, Duration.ofSeconds(10))).start();
             RawSmtpClient busy = new RawSmtpClient(sluice.port());
             RawSmtpClient idle = new RawSmtpClient(sluice.port())) {
            assertThat(busy.reply()).startsWith("220 ");
            assertThat(idle.reply()).startsWith("220 ");
            assertThat(busy.command("EHLO mta.example")).startsWith("250 ");
            assertThat(busy.command("MAIL FROM:<a@example.org>")).startsWith("250 ");
            assertThat(busy.command("RCPT TO:<user@a.test>")).startsWith("250 ");
            assertThat(busy.command("DATA")).startsWith("354 ");
            busy.send("Subject: in flight\r\n\r\nfirst half\r\n");

            sluice.server().state().startDrain();
            assertThat(idle.reply()).isEqualTo("421 4.3.2 Service shutting down, try again later");
            busy.send("second half\r\n");

            assertThat(busy.command(".")).startsWith("250 ");
            assertThat(busy.reply()).isEqualTo("421 4.3.2 Service shutting down, try again later");
            assertThat(mx.awaitMessages(1, WAIT).get(0).headers("Subject")).containsExactly("in flight");
            sluice.server().stopped().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        }
    }

    private static String message(RawSmtpClient client, String recipient) throws Exception {
        assertThat(client.command("MAIL FROM:<a@example.org>")).startsWith("250 ");
        assertThat(client.command("RCPT TO:<" + recipient + ">")).startsWith("250 ");
        assertThat(client.command("DATA")).startsWith("354 ");
        return client.command("Subject: " + recipient + "\r\n\r\nbody\r\n.");
    }
}
