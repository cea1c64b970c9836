package io.sluice.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.sluice.config.ConcurrencyRule;
import io.sluice.config.ConnectionReuseConfig;
import io.sluice.config.PolicyConfig;
import io.sluice.config.RuleKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Connections to remote MX hosts kept between transactions, where they fail: a kept connection in doubt (its RSET not
 * answered 250, or the receiver gone) is dropped and the transaction goes over a new one, and the MTA gets only the
 * replies of its own transaction. A connection kept idle on one event loop does not keep a session on another from
 * the site. One source and a source-site limit of one connection, so that a new connection needs the slot the
 * dropped or idle one held.
 */
class KeptRemoteConnectionsTest extends MxFixture {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String ONE_SOURCE = "127.0.0.10";
    // Kept far longer than any test runs: only a fault or the test ends a kept connection.
    private static final ConnectionReuseConfig KEPT_LONG = new ConnectionReuseConfig(16, Duration.ofMinutes(5), 100);
    private static final PolicyConfig ONE_CONNECTION = new PolicyConfig(List.of(),
            List.of(ConcurrencyRule.of("per-source-site", RuleKey.SOURCE_SITE, 1)));

    /** A receiver that refuses RSET, or (null) hangs up on it: the relay learns of that only when it resets. */
    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"451 4.3.0 Try again later", "554 5.5.1 No valid transaction", "421 4.4.2 Idle too long"})
    void aKeptConnectionWhoseResetFailsIsDroppedAndTheMessageGoesOnANewOne(String resetReply) throws Exception {
        try (CountingMx mx = receiver().answeringResetWith(resetReply);
             RunningOutbound sluice = start();
             RawSmtpClient mta = new RawSmtpClient(sluice.port())) {
            mta.greetedAndIntroduced();
            assertDelivered(mta, "first");
            assertDelivered(mta, "second");
            assertDelivered(mta, "third");

            assertThat(mx.resets()).isEqualTo(2);
            assertThat(mx.subjects()).containsExactly("first", "second", "third");
            assertThat(mx.connectionsAccepted()).isEqualTo(3);
            assertThat(mx.connectionsWithMessages()).isEqualTo(3);
            assertThat(mta.command("QUIT")).startsWith("221 ");
        }
    }

    @Test
    void aKeptConnectionTheReceiverClosedWhileIdleIsReplacedWithoutTheMtaSeeingIt() throws Exception {
        try (CountingMx mx = receiver();
             RunningOutbound sluice = start();
             RawSmtpClient mta = new RawSmtpClient(sluice.port())) {
            mta.greetedAndIntroduced();
            assertDelivered(mta, "first");
            mx.hangUpAll();
            await().atMost(WAIT).until(() -> mx.connectionsOpen() == 0);
            assertDelivered(mta, "second");

            assertThat(mx.subjects()).containsExactly("first", "second");
            assertThat(mx.connectionsAccepted()).isEqualTo(2);
        }
    }

    @Test
    void aSessionOnAnotherEventLoopIsNotRefusedWhileTheSitesOnlySlotSitsIdle() throws Exception {
        // Sluice runs one event loop per core, and kept connections are per loop.
        assumeTrue(Runtime.getRuntime().availableProcessors() >= 2, "needs two event loops");
        try (CountingMx mx = receiver();
             RunningOutbound sluice = start();
             RawSmtpClient first = new RawSmtpClient(sluice.port())) {
            first.greetedAndIntroduced();
            assertDelivered(first, "first");
            // The connection is now kept idle on the first session's loop, with the site's one slot. Which loop a
            // new session gets is the kernel's choice (one listening socket per loop): sessions come until one is
            // on another loop, which shows in that it could not take the kept connection.
            boolean elsewhere = false;
            List<String> subjects = new ArrayList<>(List.of("first"));
            for (int i = 0; i < 40 && !elsewhere; i++) {
                try (RawSmtpClient next = new RawSmtpClient(sluice.port())) {
                    next.greetedAndIntroduced();
                    double reusedBefore = reused(sluice);
                    assertDelivered(next, "next-" + i);
                    subjects.add("next-" + i);
                    elsewhere = reused(sluice) == reusedBefore;
                    assertThat(next.command("QUIT")).startsWith("221 ");
                }
            }

            assertThat(elsewhere).as("a session on another loop than the kept connection's").isTrue();
            // The kept connection was closed for the slot, and the receiver never had two open at once.
            assertThat(mx.connectionsAccepted()).isEqualTo(2);
            assertThat(mx.mostConnectionsOpen()).isEqualTo(1);
            assertThat(mx.subjects()).isEqualTo(subjects);
            await().atMost(WAIT).until(() -> mx.connectionsOpen() == 1);
        }
    }

    private static double reused(RunningOutbound sluice) {
        return sluice.server().registry().get("sluice.egress.connections.reused").tag("site", "other").counter()
                .count();
    }

    @BeforeEach
    void keptTestResolves() {
        dns.mx("kept.test", 300, 10, "mx.kept.test").address("mx.kept.test", 300, "127.0.0.2");
    }

    /** The receiver of kept.test. */
    private CountingMx receiver() throws Exception {
        return CountingMx.startAt("127.0.0.2", mxPort);
    }

    private RunningOutbound start() throws Exception {
        return RunningOutbound.resolvingWith(dns.hostPort(), mxPort).normalSources(ONE_SOURCE).reuse(KEPT_LONG)
                .policy(ONE_CONNECTION).start();
    }

    /** One message, every reply of it the receiver's own for this transaction. */
    private static void assertDelivered(RawSmtpClient mta, String subject) throws Exception {
        assertThat(mta.command("MAIL FROM:<a@example.org>")).isEqualTo("250 2.1.0 Ok");
        assertThat(mta.command("RCPT TO:<" + subject + "@kept.test>")).isEqualTo("250 2.1.5 Ok");
        assertThat(mta.command("DATA")).isEqualTo("354 End data with <CR><LF>.<CR><LF>");
        assertThat(mta.command("Subject: " + subject + "\r\n\r\nbody\r\n.")).isEqualTo("250 2.0.0 Ok: queued");
    }
}
