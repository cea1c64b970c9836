package io.sluice.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.config.ConcurrencyRule;
import io.sluice.config.ConnectionReuseConfig;
import io.sluice.config.EgressSite;
import io.sluice.config.FeedbackRule;
import io.sluice.config.FeedbackRule.FeedbackAction;
import io.sluice.config.PolicyConfig;
import io.sluice.config.RuleKey;
import io.sluice.proxy.egress.EgressActions;
import io.sluice.proxy.egress.EgressPool;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Receivers' replies drive actions, counted at the receiver: a source a receiver defers with {@code [TSS04]} after its
 * fifth message is suspended for the receiver's site, the next messages leave from the other source, with both
 * suspended the MTA gets 451 4.4.5 at RCPT without a connection to the receiver (its fallback relay takes the mail
 * to the fallback pool), another site is unaffected, and at expiry the source is used again.
 */
class ReceiverFeedbackTest extends MxFixture {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String FIRST = "127.0.0.10";
    private static final String SECOND = "127.0.0.11";
    private static final List<EgressSite> SITES = List.of(new EgressSite("yahoo", List.of(".yahoo.test")));

    private static String deferred(String source) {
        return "421 4.7.0 [TSS04] Messages from " + source + " temporarily deferred due to unexpected volume or user"
                + " complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes";
    }

    private static FeedbackRule tss04(Duration duration) {
        return new FeedbackRule("yahoo-tss04", OptionalInt.of(421), null, Pattern.compile("\\[TSS04\\]"),
                FeedbackAction.SUSPEND_SOURCE, 1, duration);
    }

    @Test
    void aDeferredSourceIsSuspendedForTheSiteAndWithBothSuspendedTheMtaIsRefusedAtOnce() throws Exception {
        dns.mx("yahoo.test", 300, 10, "mx.yahoo.test").address("mx.yahoo.test", 300, "127.0.0.2")
                .mx("other.test", 300, 10, "mx.other.test").address("mx.other.test", 300, "127.0.0.3");
        try (CountingMx yahoo = CountingMx.startAt("127.0.0.2", mxPort).deferring(FIRST, 5, deferred(FIRST));
             CountingMx other = CountingMx.startAt("127.0.0.3", mxPort);
             RunningOutbound sluice = RunningOutbound.resolvingWith(dns.hostPort(), mxPort).sites(SITES)
                     .feedback(List.of(tss04(Duration.ofMinutes(10)))).start();
             RawSmtpClient mta = new RawSmtpClient(sluice.port());
             RawSmtpClient fallbackMta = new RawSmtpClient(sluice.fallbackPort())) {
            mta.greetedAndIntroduced();
            EgressActions actions = sluice.server().outbound().actions();
            EgressPool normal = sluice.server().outbound().pools().pool("normal").orElseThrow();

            // Round robin over both sources until the first, past its fifth message, is deferred.
            String refused = sendUntilRefused(mta, yahoo, "a");
            assertThat(refused).isEqualTo("451 4.7.0 [TSS04] Messages from " + FIRST + " temporarily deferred due to"
                    + " unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes");
            assertThat(yahoo.messagesFrom(FIRST)).isEqualTo(5);
            assertThat(normal.sources().get(0).suspendedFor("yahoo")).isTrue();
            assertThat(normal.sources().get(0).suspendedFor("other.test")).isFalse();
            assertThat(actions.list()).singleElement().satisfies(action -> {
                assertThat(action.pool()).isEqualTo("normal");
                assertThat(action.site()).isEqualTo("yahoo");
                assertThat(action.source()).isEqualTo(FIRST);
                assertThat(action.action()).isEqualTo("suspend-source");
                assertThat(action.rule()).isEqualTo("yahoo-tss04");
                assertThat(action.reason()).isEqualTo(deferred(FIRST));
            });

            // The next messages to the site leave from the other source; the site's mail exchanger sees only it.
            int before = yahoo.sources().size();
            for (int i = 0; i < 4; i++) {
                assertThat(message(mta, "b" + i + "@yahoo.test", "b" + i)).startsWith("250 ");
            }
            assertThat(yahoo.sources().subList(before, yahoo.sources().size())).hasSize(4).containsOnly(SECOND);

            // The second is deferred too: no source of the pool may send to the site.
            yahoo.deferring(SECOND, (int) yahoo.messagesFrom(SECOND), deferred(SECOND));
            assertThat(sendUntilRefused(mta, yahoo, "c")).startsWith("451 4.7.0 [TSS04] Messages from " + SECOND);
            assertThat(actions.list()).extracting(EgressActions.Action::source).containsExactlyInAnyOrder(FIRST, SECOND);
            int connections = yahoo.connectionsAccepted();

            assertThat(mta.command("MAIL FROM:<a@example.org>")).startsWith("250 ");
            assertThat(mta.command("RCPT TO:<d@yahoo.test>")).isEqualTo("451 4.4.5 No source of this pool may send"
                    + " to the destination's site now; try again later");
            assertThat(mta.command("RSET")).startsWith("250 ");
            assertThat(yahoo.connectionsAccepted()).as("no connection to the receiver").isEqualTo(connections);

            // Another site is unaffected, and the fallback pool (the MTA's fallback relay) still sends to this one.
            assertThat(message(mta, "e@other.test", "e")).startsWith("250 ");
            assertThat(other.subjects()).containsExactly("e");
            fallbackMta.greetedAndIntroduced();
            assertThat(message(fallbackMta, "f@yahoo.test", "f")).startsWith("250 ");
            assertThat(yahoo.subjects()).endsWith("f");
            assertThat(yahoo.sources()).endsWith(RunningOutbound.FALLBACK_SOURCE);

            assertThat(sluice.server().registry().get("sluice.egress.actions.active").tag("pool", "normal")
                    .tag("site", "yahoo").tag("action", "suspend-source").gauge().value()).isEqualTo(2);
            assertThat(sluice.server().registry().get("sluice.egress.feedback.matches").tag("rule", "yahoo-tss04")
                    .counter().count()).isEqualTo(2);
            assertThat(sluice.server().registry().get("sluice.egress.source.suspended.sites").tag("pool", "normal")
                    .tag("source", FIRST).gauge().value()).isEqualTo(1);
            // Both normal sources' connections ended with their 421; the fallback source's is kept for the next.
            await().atMost(WAIT).until(() -> sluice.server().registry().get("sluice.egress.connections.open")
                    .tag("site", "yahoo").gauge().value() == 1);
        }
    }

    @Test
    void aRateReplyScalesTheSourceSiteRulesUntilLifted() throws Exception {
        dns.mx("gmail.test", 300, 10, "mx.google.test").address("mx.google.test", 300, "127.0.0.2");
        FeedbackRule rate = new FeedbackRule("gmail-4-7-28", OptionalInt.empty(), "4.7.28", null,
                FeedbackAction.SCALE, 0.5, Duration.ofMinutes(10));
        PolicyConfig policy = new PolicyConfig(List.of(),
                List.of(ConcurrencyRule.of("per-source-site", RuleKey.SOURCE_SITE, 2)));
        try (CountingMx google = CountingMx.startAt("127.0.0.2", mxPort).deferring(FIRST, 0,
                "421 4.7.28 Our system has detected an unusual rate of unsolicited mail originating from your IP");
             RunningOutbound sluice = RunningOutbound.resolvingWith(dns.hostPort(), mxPort).normalSources(FIRST)
                     .sites(List.of(new EgressSite("google", List.of(".google.test"))))
                     .reuse(ConnectionReuseConfig.DISABLED).policy(policy).feedback(List.of(rate)).start();
             RawSmtpClient first = new RawSmtpClient(sluice.port());
             RawSmtpClient second = new RawSmtpClient(sluice.port())) {
            first.greetedAndIntroduced();
            second.greetedAndIntroduced();
            assertThat(attempt(first, "a@gmail.test")).startsWith("451 4.7.28");
            EgressActions actions = sluice.server().outbound().actions();
            assertThat(actions.list()).singleElement().satisfies(action -> {
                assertThat(action.action()).isEqualTo("scale");
                assertThat(action.scaled()).isEqualTo("per-source-site");
                assertThat(action.factor()).isEqualTo(0.5);
                assertThat(action.pool()).isEqualTo("normal");
                assertThat(action.source()).isEqualTo(FIRST);
                assertThat(action.site()).isEqualTo("google");
            });
            google.stopDeferring();
            google.holdingFinalReplies();

            // One connection holds the slot the scaled rule has (2 x 0.5): a second is refused at RCPT.
            assertThat(first.command("MAIL FROM:<a@example.org>")).startsWith("250 ");
            assertThat(first.command("RCPT TO:<held@gmail.test>")).startsWith("250 ");
            assertThat(first.command("DATA")).startsWith("354 ");
            first.send("Subject: held\r\n\r\nbody\r\n.\r\n");
            await().atMost(WAIT).until(() -> google.heldFinalReplies() == 1);
            assertThat(second.command("MAIL FROM:<a@example.org>")).startsWith("250 ");
            assertThat(second.command("RCPT TO:<b@gmail.test>")).startsWith("451 4.4.5");
            assertThat(second.command("RSET")).startsWith("250 ");

            // Lifted, the rule has its two slots again.
            assertThat(actions.lift(actions.list().get(0).id()).join()).isPresent();
            assertThat(actions.list()).isEmpty();
            assertThat(sluice.server().overrides().list()).isEmpty();
            assertThat(second.command("MAIL FROM:<a@example.org>")).startsWith("250 ");
            assertThat(second.command("RCPT TO:<b@gmail.test>")).startsWith("250 ");
            assertThat(second.command("DATA")).startsWith("354 ");
            second.send("Subject: second\r\n\r\nbody\r\n.\r\n");
            google.release(2);
            assertThat(first.reply()).startsWith("250 ");
            assertThat(second.reply()).startsWith("250 ");
            assertThat(google.subjects()).containsExactlyInAnyOrder("held", "second");
        }
    }

    @Test
    void atExpiryTheSourceIsUsedAgain() throws Exception {
        dns.mx("yahoo.test", 300, 10, "mx.yahoo.test").address("mx.yahoo.test", 300, "127.0.0.2");
        try (CountingMx yahoo = CountingMx.startAt("127.0.0.2", mxPort).deferring(FIRST, 1, deferred(FIRST));
             RunningOutbound sluice = RunningOutbound.resolvingWith(dns.hostPort(), mxPort).sites(SITES)
                     .feedback(List.of(tss04(Duration.ofSeconds(2)))).start();
             RawSmtpClient mta = new RawSmtpClient(sluice.port())) {
            mta.greetedAndIntroduced();
            assertThat(sendUntilRefused(mta, yahoo, "a")).startsWith("451 4.7.0 [TSS04]");
            yahoo.stopDeferring();

            await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
                assertThat(message(mta, "again@yahoo.test", "again")).startsWith("250 ");
                assertThat(yahoo.messagesFrom(FIRST)).isEqualTo(2);
            });
            assertThat(sluice.server().outbound().actions().list()).isEmpty();
            assertThat(sluice.server().registry().get("sluice.egress.feedback.matches").tag("rule", "yahoo-tss04")
                    .counter().count()).isEqualTo(1);
        }
    }

    @Test
    void aHostileReceiversHugeReplyIsMatchedOnItsFirstCharactersOnly() throws Exception {
        dns.mx("yahoo.test", 300, 10, "mx.yahoo.test").address("mx.yahoo.test", 300, "127.0.0.2");
        // 99 lines of 2000 characters (the most a reply may have, near enough), the marker past what is looked at.
        String filler = "x".repeat(2000);
        String hidden = ("421-4.7.0 " + filler + "\r\n").repeat(98) + "421 4.7.0 [TSS04] \u0001\u007f hidden";
        String early = "421-4.7.0 [TSS04] Messages from " + SECOND + " deferred\r\n"
                + ("421-4.7.0 \u0000\u001b[31m" + filler + "\r\n").repeat(97) + "421 4.7.0 end";
        try (CountingMx yahoo = CountingMx.startAt("127.0.0.2", mxPort).deferring(FIRST, 0, hidden)
                .deferring(SECOND, 0, early);
             RunningOutbound sluice = RunningOutbound.resolvingWith(dns.hostPort(), mxPort).sites(SITES)
                     .feedback(List.of(tss04(Duration.ofMinutes(10)))).start();
             RawSmtpClient mta = new RawSmtpClient(sluice.port())) {
            mta.greetedAndIntroduced();
            EgressActions actions = sluice.server().outbound().actions();

            // Round robin: one delivery from each source, each refused with the receiver's reply.
            assertThat(attempt(mta, "one@yahoo.test")).startsWith("451 4.7.0");
            assertThat(attempt(mta, "two@yahoo.test")).startsWith("451 4.7.0");

            assertThat(actions.list()).as("only the marker in the first characters counts").singleElement()
                    .satisfies(action -> {
                        assertThat(action.source()).isEqualTo(SECOND);
                        assertThat(action.reason()).startsWith("421 4.7.0 [TSS04] Messages from " + SECOND)
                                .hasSizeLessThanOrEqualTo(512).doesNotContain("\u0000", "\u001b");
                    });
            // The session goes on as before.
            assertThat(mta.command("NOOP")).startsWith("250 ");
        }
    }

    /** Sends messages to the site until one is refused (bounded); that refusal, the last line of the RCPT reply. */
    private static String sendUntilRefused(RawSmtpClient mta, CountingMx mx, String prefix) throws IOException {
        for (int i = 0; i < 30; i++) {
            String reply = attempt(mta, prefix + i + "@yahoo.test");
            if (!reply.startsWith("250 ")) {
                return reply;
            }
        }
        throw new AssertionError("never refused; the receiver took " + mx.sources());
    }

    /** One message, or the refusal of its recipient (the transaction then reset). */
    private static String attempt(RawSmtpClient mta, String recipient) throws IOException {
        assertThat(mta.command("MAIL FROM:<a@example.org>")).startsWith("250 ");
        String rcpt = mta.command("RCPT TO:<" + recipient + ">");
        if (!rcpt.startsWith("250 ")) {
            assertThat(mta.command("RSET")).startsWith("250 ");
            return rcpt;
        }
        assertThat(mta.command("DATA")).startsWith("354 ");
        return mta.command("Subject: " + recipient + "\r\n\r\nbody\r\n.");
    }

    private static String message(RawSmtpClient mta, String recipient, String subject) throws IOException {
        assertThat(mta.command("MAIL FROM:<a@example.org>")).startsWith("250 ");
        assertThat(mta.command("RCPT TO:<" + recipient + ">")).startsWith("250 ");
        assertThat(mta.command("DATA")).startsWith("354 ");
        return mta.command("Subject: " + subject + "\r\n\r\nbody\r\n.");
    }
}
