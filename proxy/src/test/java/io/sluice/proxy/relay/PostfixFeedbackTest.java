package io.sluice.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.config.EgressSite;
import io.sluice.config.FeedbackRule;
import io.sluice.config.FeedbackRule.FeedbackAction;
import io.sluice.proxy.egress.TestDnsServer;
import io.sluice.proxy.peers.PostfixInstance;
import io.sluice.proxy.peers.SwaksRun;
import io.sluice.testing.TestPorts;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The acceptance with a real Postfix as the sending MTA ({@code relayhost} to the normal listener,
 * {@code smtp_fallback_relay} to the fallback listener) and a receiver on loopback behind test DNS that defers each
 * normal source with {@code [TSS04]} after its fifth message.
 */
class PostfixFeedbackTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String FIRST = "127.0.0.10";
    private static final String SECOND = "127.0.0.11";

    private static String deferred(String source) {
        return "421 4.7.0 [TSS04] Messages from " + source + " temporarily deferred due to unexpected volume or user"
                + " complaints";
    }

    @Test
    void deferredSourcesAreSuspendedAndPostfixFallsBackInTheSameAttemptUntilTheyExpire() throws Exception {
        int mxPort = TestPorts.freeOnEveryAddress();
        FeedbackRule tss04 = new FeedbackRule("yahoo-tss04", OptionalInt.of(421), null,
                Pattern.compile("\\[TSS04\\]"), FeedbackAction.SUSPEND_SOURCE, 1, Duration.ofSeconds(30));
        try (TestDnsServer dns = TestDnsServer.start()
                     .mx("yahoo.test", 300, 10, "mx.yahoo.test").address("mx.yahoo.test", 300, "127.0.0.2")
                     .mx("other.test", 300, 10, "mx.other.test").address("mx.other.test", 300, "127.0.0.3");
             CountingMx yahoo = CountingMx.startAt("127.0.0.2", mxPort).deferring(FIRST, 5, deferred(FIRST))
                     .deferring(SECOND, 5, deferred(SECOND));
             CountingMx other = CountingMx.startAt("127.0.0.3", mxPort);
             RunningOutbound sluice = RunningOutbound.resolvingWith(dns.hostPort(), mxPort)
                     .sites(List.of(new EgressSite("yahoo", List.of(".yahoo.test"))))
                     .feedback(List.of(tss04)).start();
             PostfixInstance postfix = PostfixInstance.start(sluice.port(), Map.of(
                     "relayhost", "[127.0.0.1]:" + sluice.port(),
                     "smtp_fallback_relay", "[127.0.0.1]:" + sluice.fallbackPort()))) {
            // One message at a time, each delivered before the next is sent: 20 to the site.
            List<String> sent = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                String subject = "m-" + i;
                submit(postfix, "u" + i + "@yahoo.test", subject);
                sent.add(subject);
                await().atMost(WAIT).until(() -> yahoo.subjects().size() == sent.size());
            }

            // Nothing lost or duplicated; five from each normal source, the rest from the fallback pool.
            assertThat(yahoo.subjects()).containsExactlyInAnyOrderElementsOf(sent);
            assertThat(yahoo.messagesFrom(FIRST)).isEqualTo(5);
            assertThat(yahoo.messagesFrom(SECOND)).isEqualTo(5);
            assertThat(yahoo.messagesFrom(RunningOutbound.FALLBACK_SOURCE)).isEqualTo(10);
            assertThat(sluice.server().outbound().actions().list())
                    .extracting(action -> action.source() + " " + action.site() + " " + action.action())
                    .containsExactlyInAnyOrder(FIRST + " yahoo suspend-source", SECOND + " yahoo suspend-source");
            String log = postfix.log();
            assertThat(log).contains("[TSS04] Messages from " + FIRST, "[TSS04] Messages from " + SECOND,
                    "451 4.4.5 No source of this pool may send to the destination's site now",
                    "relay=127.0.0.1[127.0.0.1]:" + sluice.fallbackPort());
            assertThat(log).doesNotContain("status=deferred");

            // Another site is unaffected: it goes from a normal source.
            submit(postfix, "x@other.test", "other");
            await().atMost(WAIT).until(() -> other.subjects().size() == 1);
            assertThat(other.sources()).singleElement().isIn(FIRST, SECOND);

            // At expiry the normal sources are used again.
            yahoo.stopDeferring();
            await().atMost(WAIT).until(() -> sluice.server().outbound().actions().list().isEmpty());
            submit(postfix, "again@yahoo.test", "again");
            await().atMost(WAIT).until(() -> yahoo.subjects().contains("again"));
            assertThat(yahoo.sources().get(yahoo.subjects().indexOf("again"))).isIn(FIRST, SECOND);
            assertThat(sluice.poolViolations()).isZero();
        }
    }

    private static void submit(PostfixInstance postfix, String recipient, String subject) {
        SwaksRun run = SwaksRun.send(postfix.port(), "--to", recipient, "--header", "Subject: " + subject);
        assertThat(run.exitCode()).as(run.output()).isZero();
    }
}
