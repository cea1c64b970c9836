package io.sluice.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

import io.sluice.config.BucketSync;
import io.sluice.config.Counted;
import io.sluice.config.LimitRule;
import io.sluice.config.NetPrefixes;
import io.sluice.config.PolicyConfig;
import io.sluice.config.RuleKey;
import io.sluice.config.RuleMatch;
import io.sluice.config.RuleReply;
import io.sluice.proxy.egress.TestDnsServer;
import io.sluice.proxy.peers.PostfixInstance;
import io.sluice.proxy.peers.SmtpSinkProcess;
import io.sluice.proxy.peers.SwaksRun;
import io.sluice.testing.TestPorts;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** A real Postfix as the sending MTA, relaying through Sluice's outbound listeners. */
class PostfixFallbackTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

    /** What the README says about Postfix behind an outbound listener, observed. */
    @Test
    void aMessageToTwoDomainsGoesToTheFirstAndTheOtherIsDeferred() throws Exception {
        int mxPort = TestPorts.freeOnEveryAddress();
        try (TestDnsServer dns = TestDnsServer.start()
                     .mx("a.test", 300, 10, "mx.a.test").address("mx.a.test", 300, "127.0.0.2")
                     .mx("b.test", 300, 10, "mx.b.test").address("mx.b.test", 300, "127.0.0.3");
             SmtpSinkProcess mxA = SmtpSinkProcess.startAt("127.0.0.2", mxPort);
             RunningOutbound sluice = RunningOutbound.resolvingWith(dns.hostPort(), mxPort).start();
             PostfixInstance postfix = PostfixInstance.start(mxA, Map.of(
                     "relayhost", "[127.0.0.1]:" + sluice.port()))) {
            SwaksRun run = SwaksRun.send(postfix.port(), "--to", "one@a.test,two@b.test", "--header",
                    "Subject: two domains");

            assertThat(run.exitCode()).as(run.output()).isZero();
            // One next hop (the relayhost) for both domains: one transaction, and the 452-ed domain waits in the
            // queue for the next attempt, after minimal_backoff_time.
            String log = postfix.awaitLog("to=<two@b.test>, relay=127.0.0.1[127.0.0.1]:" + sluice.port(), WAIT);
            assertThat(log).contains("to=<two@b.test>", "dsn=4.5.3, status=deferred");
            assertThat(mxA.awaitMessages(1, WAIT).get(0).rcptArgs()).containsExactly("<one@a.test>");
        }
    }

    /**
     * Postfix ends a transaction whose every recipient was refused with RSET and keeps the connection for the next
     * message: each such transaction is one log line and one count, ended by the reset.
     */
    @Test
    void transactionsEndedByRsetAreEachLoggedAndCountedOnce() throws Exception {
        int mxPort = TestPorts.freeOnEveryAddress();
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        Logger transactions = (Logger) LoggerFactory.getLogger("io.sluice.transaction");
        transactions.addAppender(lines);
        try (TestDnsServer dns = TestDnsServer.start();
             SmtpSinkProcess mx = SmtpSinkProcess.startAt("127.0.0.2", mxPort);
             RunningOutbound sluice = RunningOutbound.resolvingWith(dns.hostPort(), mxPort).start();
             PostfixInstance postfix = PostfixInstance.start(mx, Map.of(
                     "relayhost", "[127.0.0.1]:" + sluice.port(),
                     // Kept connections are what make Postfix say RSET rather than QUIT after a refusal.
                     "smtp_connection_cache_destinations", "[127.0.0.1]:" + sluice.port()))) {
            for (int i = 0; i < 10; i++) {
                // Sluice refuses address literals at RCPT (550 5.7.1): no destination to resolve.
                SwaksRun run = SwaksRun.send(postfix.port(), "--to", "user" + i + "@[192.0.2.1]");
                assertThat(run.exitCode()).as(run.output()).isZero();
            }
            // Every refusal seen by Postfix, and every connection it kept closed since: nothing more to come.
            await("ten refusals and no session left").atMost(WAIT).pollInterval(Duration.ofMillis(100))
                    .until(() -> postfix.log().split("status=bounced", -1).length - 1 == 10
                            && sluice.server().registry().get("sluice.sessions.active").gauge().value() == 0);

            assertThat(postfix.log()).contains("said: 550 5.7.1 Relaying to address literals denied");
            // The outcome says Postfix ended each transaction with RSET, the last one included (not QUIT).
            assertThat(lines.list).hasSize(10).allSatisfy(line -> assertThat(line.getFormattedMessage() + " "
                    + Arrays.toString(line.getArgumentArray())).contains("outcome=reset", "recipients=0"));
            assertThat(sluice.server().registry().get("sluice.transactions").tag("listener", "relay")
                    .tag("outcome", "reset").counter().count()).isEqualTo(10);
            assertThat(sluice.server().registry().find("sluice.transactions").counters())
                    .as("no other outcome").allSatisfy(counter ->
                            assertThat(counter.count()).isEqualTo(counter.getId().getTag("outcome").equals("reset")
                                    ? 10 : 0));
        } finally {
            transactions.detachAppender(lines);
        }
    }

    /**
     * {@code relayhost} and {@code smtp_fallback_relay} both point at Sluice: mail whose first attempt fails falls
     * back, and leaves from the fallback pool only.
     */
    @Test
    void mailRefusedByTheRelayhostLeavesFromTheFallbackPoolOnly() throws Exception {
        int mxPort = TestPorts.freeOnEveryAddress();
        // The relay listener takes one connection a day: the test's own uses it up, so Postfix is greeted with 421.
        LimitRule oneConnection = new LimitRule("relay-closed", Set.of("relay"), RuleKey.LISTENER,
                NetPrefixes.DEFAULT, Counted.CONNECTIONS, Rules.perHour(1), 1,
                Optional.of(new RuleReply(421, "4.7.0", "Relay closed for this test")), LimitRule.Exceeded.REFUSE,
                Duration.ZERO, false, RuleMatch.NONE, RuleMatch.NONE, BucketSync.EXACT);
        try (TestDnsServer dns = TestDnsServer.start()
                     .mx("a.test", 300, 10, "mx.a.test").address("mx.a.test", 300, "127.0.0.2");
             SmtpSinkProcess mx = SmtpSinkProcess.startAt("127.0.0.2", mxPort);
             RunningOutbound sluice = RunningOutbound.resolvingWith(dns.hostPort(), mxPort)
                     .policy(new PolicyConfig(List.of(oneConnection), List.of())).start();
             PostfixInstance postfix = PostfixInstance.start(mx, Map.of(
                     "relayhost", "[127.0.0.1]:" + sluice.port(),
                     "smtp_fallback_relay", "[127.0.0.1]:" + sluice.fallbackPort()))) {
            try (RawSmtpClient probe = new RawSmtpClient(sluice.port())) {
                assertThat(probe.reply()).startsWith("220 ");
                assertThat(probe.command("QUIT")).startsWith("221 ");
            }

            SwaksRun run = SwaksRun.send(postfix.port(), "--to", "user@a.test", "--header", "Subject: fallback");

            assertThat(run.exitCode()).as(run.output()).isZero();
            SmtpSinkProcess.Message message = mx.awaitMessages(1, WAIT).get(0);
            assertThat(message.headers("Subject")).containsExactly("fallback");
            assertThat(message.clientAddress()).isEqualTo(RunningOutbound.FALLBACK_SOURCE);
            assertThat(postfix.awaitLog("status=sent", WAIT)).contains("421 4.7.0 Relay closed for this test")
                    .contains("relay=127.0.0.1[127.0.0.1]:" + sluice.fallbackPort());
            assertThat(mx.messages()).hasSize(1);
            assertThat(sluice.poolViolations()).isZero();
        }
    }
}
