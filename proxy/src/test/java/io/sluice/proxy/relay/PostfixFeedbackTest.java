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
import io.micrometer.core.instrument.Counter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The issue's acceptance with a real Postfix as the sending MTA and three Sluice nodes in one cluster behind a
 * round-robin load balancer ({@code relayhost} to the nodes' normal listeners, {@code smtp_fallback_relay} to their
 * fallback listeners), and a receiver on loopback behind test DNS that defers each normal source with {@code [TSS04]}
 * once it had its messages: the deferred source is suspended for the site on every node within a second of the
 * receiver's 421, measured here for each node.
 */
class PostfixFeedbackTest {

    private static final Logger log = LoggerFactory.getLogger(PostfixFeedbackTest.class);
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final Duration PROPAGATION = Duration.ofSeconds(1);
    private static final int NODES = 3;
    private static final String FIRST = "127.0.0.10";
    private static final String SECOND = "127.0.0.11";
    // The first source is deferred early and the second late, so that the messages between leave from the second
    // whichever way the nodes' round robins and the load balancer's interleave.
    private static final int FIRST_TAKES = 2;
    private static final int SECOND_TAKES = 8;
    // Past both deferrals: each of these goes to the fallback pool after a 451 4.4.5 at RCPT.
    private static final int BOTH_SUSPENDED = 3;
    private static final String SITE = "yahoo";
    // Each suspension's duration: the first must outlast the dozen deliveries up to the end of the fallback phase
    // (some 15 s on a busy machine); the test waits for the second's expiry.
    private static final Duration SUSPENDED = Duration.ofSeconds(45);

    @TempDir
    Path bodies;

    private final SecureRandom random = new SecureRandom();

    private static String deferred(String source) {
        return "421 4.7.0 [TSS04] Messages from " + source + " temporarily deferred due to unexpected volume or user"
                + " complaints";
    }

    @Test
    void aDeferredSourceIsSuspendedOnEveryNodeWithinASecondAndPostfixFallsBackInTheSameAttemptUntilItExpires()
            throws Exception {
        int mxPort = TestPorts.freeOnEveryAddress();
        FeedbackRule tss04 = new FeedbackRule("yahoo-tss04", OptionalInt.of(421), null,
                Pattern.compile("\\[TSS04\\]"), FeedbackAction.SUSPEND_SOURCE, 1, SUSPENDED);
        try (TestDnsServer dns = TestDnsServer.start()
                     .mx("yahoo.test", 300, 10, "mx.yahoo.test").address("mx.yahoo.test", 300, "127.0.0.2")
                     .mx("other.test", 300, 10, "mx.other.test").address("mx.other.test", 300, "127.0.0.3");
             CountingMx yahoo = CountingMx.startAt("127.0.0.2", mxPort)
                     .deferring(FIRST, FIRST_TAKES, deferred(FIRST)).deferring(SECOND, SECOND_TAKES, deferred(SECOND));
             CountingMx other = CountingMx.startAt("127.0.0.3", mxPort);
             OutboundNodes nodes = OutboundNodes.start(NODES, () -> RunningOutbound
                     .resolvingWith(dns.hostPort(), mxPort).sites(List.of(new EgressSite(SITE, List.of(".yahoo.test"))))
                     .feedback(List.of(tss04)));
             TcpForwarder relay = TcpForwarder.roundRobin(nodes.ports());
             TcpForwarder fallbackRelay = TcpForwarder.roundRobin(nodes.fallbackPorts());
             SuspensionWatch watch = new SuspensionWatch(nodes, List.of(FIRST, SECOND));
             PostfixInstance postfix = PostfixInstance.start(relay.port(), Map.of(
                     "relayhost", "[127.0.0.1]:" + relay.port(),
                     "smtp_fallback_relay", "[127.0.0.1]:" + fallbackRelay.port(),
                     // A connection per delivery, so that the load balancer takes each to the next node.
                     "smtp_connection_cache_on_demand", "no"))) {
            List<String> submitted = new ArrayList<>();
            // One message at a time, each delivered before the next is sent. After each deferral the suspension is
            // in force on every node before the next message: its propagation is measured, not raced.
            int messages = FIRST_TAKES + SECOND_TAKES + 2 + BOTH_SUSPENDED;
            Map<String, Integer> deferredAtMessage = new ConcurrentHashMap<>();
            for (int i = 0; i < messages; i++) {
                submitted.add(submit(postfix, "u" + i + "@yahoo.test", "m-" + i));
                int taken = i + 1;
                await().atMost(WAIT).until(() -> yahoo.subjects().size() == taken);
                for (String source : List.of(FIRST, SECOND)) {
                    if (!yahoo.deferralsSentTo(source).isEmpty() && !deferredAtMessage.containsKey(source)) {
                        deferredAtMessage.put(source, i);
                        assertSuspendedEverywhereWithinASecond(watch, yahoo, source);
                    }
                }
            }

            // Each source was deferred once: after its 421 no node tried it again for the site.
            assertThat(yahoo.deferralsSentTo(FIRST)).hasSize(1);
            assertThat(yahoo.deferralsSentTo(SECOND)).hasSize(1);
            assertThat(yahoo.messagesFrom(FIRST)).isEqualTo(FIRST_TAKES);
            assertThat(yahoo.messagesFrom(SECOND)).isEqualTo(SECOND_TAKES);
            assertThat(yahoo.messagesFrom(RunningOutbound.FALLBACK_SOURCE)).isEqualTo(2 + BOTH_SUSPENDED);
            // The next messages to the site left from the other normal source.
            List<String> sources = yahoo.sources();
            int firstDeferred = deferredAtMessage.get(FIRST);
            int secondDeferred = deferredAtMessage.get(SECOND);
            assertThat(sources.get(firstDeferred)).isEqualTo(RunningOutbound.FALLBACK_SOURCE);
            assertThat(sources.subList(firstDeferred + 1, secondDeferred)).isNotEmpty().containsOnly(SECOND);
            // With both suspended, Postfix's next attempts went through the fallback pool and arrived from it.
            assertThat(sources.subList(secondDeferred, messages)).hasSize(1 + BOTH_SUSPENDED)
                    .containsOnly(RunningOutbound.FALLBACK_SOURCE);
            for (RunningOutbound node : nodes.all()) {
                assertThat(node.server().outbound().actions().list())
                        .extracting(action -> action.source() + " " + action.site() + " " + action.action())
                        .containsExactlyInAnyOrder(FIRST + " yahoo suspend-source", SECOND + " yahoo suspend-source");
                // The load balancer took deliveries to every node.
                assertThat(node.server().registry().find("sluice.egress.transactions").counters().stream()
                        .mapToDouble(Counter::count).sum()).isPositive();
            }
            String postfixLog = postfix.log();
            assertThat(postfixLog).contains("[TSS04] Messages from " + FIRST, "[TSS04] Messages from " + SECOND,
                    "451 4.4.5 No source of this pool may send to the destination's site now",
                    "relay=127.0.0.1[127.0.0.1]:" + fallbackRelay.port());
            assertThat(postfixLog).doesNotContain("status=deferred");

            // Another site is unaffected: one message through each node, each from a normal source.
            for (int i = 0; i < NODES; i++) {
                submitted.add(submit(postfix, "x" + i + "@other.test", "other-" + i));
                int taken = i + 1;
                await().atMost(WAIT).until(() -> other.subjects().size() == taken);
            }
            assertThat(other.sources()).hasSize(NODES).isSubsetOf(FIRST, SECOND);

            // At expiry the normal sources are used again, by every node.
            yahoo.stopDeferring();
            await().atMost(WAIT).until(() -> nodes.all().stream().allMatch(node ->
                    node.server().outbound().actions().list().isEmpty()
                            && !watch.suspended(node, FIRST) && !watch.suspended(node, SECOND)));
            for (int i = 0; i < NODES; i++) {
                submitted.add(submit(postfix, "again" + i + "@yahoo.test", "again-" + i));
                int taken = messages + i + 1;
                await().atMost(WAIT).until(() -> yahoo.subjects().size() == taken);
            }
            assertThat(yahoo.sources().subList(messages, messages + NODES)).isSubsetOf(FIRST, SECOND);

            // Nothing lost or duplicated: the bodies the receivers took are those submitted, by checksum.
            List<String> received = new ArrayList<>(yahoo.bodyChecksums());
            received.addAll(other.bodyChecksums());
            assertThat(received).containsExactlyInAnyOrderElementsOf(submitted);
            for (RunningOutbound node : nodes.all()) {
                assertThat(node.poolViolations()).isZero();
            }
        }
    }

    /**
     * Waits until every node had the source suspended for the site, then asserts that each had it within
     * {@link #PROPAGATION} of the receiver's 421.
     */
    private static void assertSuspendedEverywhereWithinASecond(SuspensionWatch watch, CountingMx receiver,
                                                               String source) {
        long deferredAt = receiver.deferralsSentTo(source).get(0);
        await().atMost(WAIT).until(() -> watch.seenOnEveryNode(source));
        List<Duration> propagation = watch.seen(source).stream()
                .map(seenAt -> Duration.ofNanos(seenAt - deferredAt)).toList();
        log.info("{} suspended for site {} after the receiver's 421, by node: {} ms", source, SITE,
                propagation.stream().map(each -> String.format("%.1f", each.toNanos() / 1e6)).toList());
        assertThat(propagation).allSatisfy(each -> assertThat(each).isPositive().isLessThanOrEqualTo(PROPAGATION));
    }

    /** Submits a message with a random body of its own; the checksum of that body. */
    private String submit(PostfixInstance postfix, String recipient, String subject) throws IOException {
        List<String> body = new ArrayList<>();
        // A leading dot: dot-stuffed on every hop, it must arrive as sent.
        body.add("." + subject);
        for (int i = 0; i < 20; i++) {
            byte[] line = new byte[36];
            random.nextBytes(line);
            body.add(HexFormat.of().formatHex(line));
        }
        Path file = bodies.resolve(subject);
        // The whole message as swaks sends it: it adds the last line end, and nothing else, to data of a file.
        Files.writeString(file, "Subject: " + subject + "\r\n\r\n" + String.join("\r\n", body),
                StandardCharsets.US_ASCII);
        SwaksRun run = SwaksRun.send(postfix.port(), "--to", recipient, "--data", "@" + file);
        assertThat(run.exitCode()).as(run.output()).isZero();
        return CountingMx.checksum(body);
    }

    /**
     * Watches the nodes' pools from a thread of its own and notes when ({@link System#nanoTime}) each node first had
     * each source suspended for the site: the time the suspension is in force there, as deliveries see it.
     */
    private static final class SuspensionWatch implements AutoCloseable {

        private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

        private final List<RunningOutbound> nodes;
        private final List<String> sources;
        private final Map<String, Long> seen = new ConcurrentHashMap<>();
        private final Thread thread;
        private volatile boolean closed;

        SuspensionWatch(OutboundNodes nodes, List<String> sources) {
            this.nodes = nodes.all();
            this.sources = sources;
            thread = new Thread(this::watch, "suspension-watch");
            thread.setDaemon(true);
            thread.start();
        }

        private void watch() {
            while (!closed) {
                for (int node = 0; node < nodes.size(); node++) {
                    for (String source : sources) {
                        String key = node + "|" + source;
                        if (!seen.containsKey(key) && suspended(nodes.get(node), source)) {
                            seen.put(key, System.nanoTime());
                        }
                    }
                }
                LockSupport.parkNanos(POLL_NANOS);
            }
        }

        boolean suspended(RunningOutbound node, String source) {
            return node.server().outbound().pools().pool("normal").orElseThrow().sources().stream()
                    .filter(each -> each.toString().equals(source)).findFirst()
                    .map(each -> each.suspendedFor(SITE)).orElseThrow();
        }

        boolean seenOnEveryNode(String source) {
            return seen(source).size() == nodes.size();
        }

        /** When each node that had the source suspended first had it. */
        List<Long> seen(String source) {
            List<Long> times = new ArrayList<>();
            for (int node = 0; node < nodes.size(); node++) {
                Long at = seen.get(node + "|" + source);
                if (at != null) {
                    times.add(at);
                }
            }
            return times;
        }

        @Override
        public void close() throws InterruptedException {
            closed = true;
            thread.join();
        }
    }
}
