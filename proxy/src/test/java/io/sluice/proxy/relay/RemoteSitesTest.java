package io.sluice.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.config.ConcurrencyRule;
import io.sluice.config.ConnectionReuseConfig;
import io.sluice.config.EgressSite;
import io.sluice.config.PolicyConfig;
import io.sluice.config.RuleKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Destination sites and the connections to them, counted at the receiver: kept connections carry many transactions,
 * a source-site limit caps the connections open to a site, and domains whose MX hosts share a configured suffix
 * share one budget.
 */
class RemoteSitesTest extends MxFixture {

    private static final Logger log = LoggerFactory.getLogger(RemoteSitesTest.class);
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String ONE_SOURCE = "127.0.0.10";
    private static final PolicyConfig FIVE_PER_SOURCE_SITE = new PolicyConfig(List.of(),
            List.of(ConcurrencyRule.of("per-source-site", RuleKey.SOURCE_SITE, 5)));

    @Test
    void keptConnectionsCarryTwoHundredMessagesToOneSiteOverFewConnections() throws Exception {
        dns.mx("kept.test", 300, 10, "mx.kept.test").address("mx.kept.test", 300, "127.0.0.2")
                .mx("fresh.test", 300, 10, "mx.fresh.test").address("mx.fresh.test", 300, "127.0.0.3");
        try (CountingMx kept = CountingMx.startAt("127.0.0.2", mxPort);
             CountingMx fresh = CountingMx.startAt("127.0.0.3", mxPort);
             RunningOutbound reusing = RunningOutbound.resolvingWith(dns.hostPort(), mxPort)
                     .normalSources(ONE_SOURCE).start();
             RunningOutbound notReusing = RunningOutbound.resolvingWith(dns.hostPort(), mxPort)
                     .normalSources(ONE_SOURCE).reuse(ConnectionReuseConfig.DISABLED).start()) {
            // Both warm, then both measured in the same run: 4 MTA sessions of 50 messages each.
            send(notReusing.port(), "fresh.test", "warm", 4, 10);
            send(reusing.port(), "kept.test", "warm", 4, 10);
            int keptBefore = kept.connectionsAccepted();
            int freshBefore = fresh.connectionsAccepted();

            long withoutReuse = send(notReusing.port(), "fresh.test", "m", 4, 50);
            long withReuse = send(reusing.port(), "kept.test", "m", 4, 50);

            assertThat(kept.subjects()).filteredOn(subject -> subject.startsWith("m-")).hasSize(200)
                    .doesNotHaveDuplicates();
            assertThat(fresh.subjects()).filteredOn(subject -> subject.startsWith("m-")).hasSize(200)
                    .doesNotHaveDuplicates();
            int keptConnections = kept.connectionsAccepted() - keptBefore;
            int freshConnections = fresh.connectionsAccepted() - freshBefore;
            assertThat(kept.connectionsAccepted()).isLessThanOrEqualTo(10);
            assertThat(freshConnections).isEqualTo(200);
            // Each transaction on a kept connection began with RSET.
            assertThat(kept.resets()).isGreaterThanOrEqualTo(240 - kept.connectionsAccepted());
            assertThat(reusing.server().registry().get("sluice.egress.connections.reused").tag("site", "other")
                    .counter().count()).isGreaterThanOrEqualTo(240 - kept.connectionsAccepted());
            log.info("200 messages to one site through one source: {} connections and {} ms with reuse, {} connections"
                    + " and {} ms without; throughput ratio {}", keptConnections, withReuse / 1_000_000,
                    freshConnections, withoutReuse / 1_000_000,
                    String.format("%.2f", (double) withoutReuse / withReuse));
        }
    }

    @Test
    void aSourceSiteLimitHoldsTheConnectionsOpenAtTheReceiver() throws Exception {
        dns.mx("busy.test", 300, 10, "mx.busy.test").address("mx.busy.test", 300, "127.0.0.2");
        try (CountingMx mx = CountingMx.startAt("127.0.0.2", mxPort).holdingFinalReplies();
             RunningOutbound sluice = RunningOutbound.resolvingWith(dns.hostPort(), mxPort)
                     .normalSources(ONE_SOURCE).policy(FIVE_PER_SOURCE_SITE).start()) {
            assertHeldToFive(mx, fiftyHeldDeliveries(mx, List.of(sluice.port())));
        }
    }

    @Test
    void aSourceSiteLimitHoldsTheConnectionsOpenAtTheReceiverAcrossThreeNodes() throws Exception {
        dns.mx("busy.test", 300, 10, "mx.busy.test").address("mx.busy.test", 300, "127.0.0.2");
        // The default local fallback: a node that finds the cluster late grants only from the slots the cluster
        // reserved for it, so five is a bound whatever the load.
        try (CountingMx mx = CountingMx.startAt("127.0.0.2", mxPort).holdingFinalReplies();
             OutboundNodes nodes = OutboundNodes.start(3, () ->
                     RunningOutbound.resolvingWith(dns.hostPort(), mxPort).normalSources(ONE_SOURCE)
                             .policy(FIVE_PER_SOURCE_SITE))) {
            double lateBefore = lateClusterEpisodes(nodes);
            // Delivery i goes to node i % 3: with a budget per node, 15 would be admitted.
            List<String> outcomes = fiftyHeldDeliveries(mx, nodes.ports());

            int admitted = (int) outcomes.stream().filter(outcome -> outcome.startsWith("250 ")).count();
            double lateCluster = lateClusterEpisodes(nodes) - lateBefore;
            log.info("50 deliveries over three nodes, source-site max 5: {} admitted, {} connections at most at the"
                    + " receiver, {} episodes of a late cluster", admitted, mx.mostConnectionsOpen(), lateCluster);
            assertThat(admitted).as("deliveries admitted").isPositive();
            assertThat(mx.mostConnectionsOpen()).isEqualTo(admitted).isLessThanOrEqualTo(5);
            if (lateCluster == 0) {
                // Every decision came from the cluster in time: the whole budget was used.
                assertThat(admitted).isEqualTo(5);
            }
            assertThat(outcomes).filteredOn(outcome -> !outcome.startsWith("250 ")).hasSize(50 - admitted)
                    .allSatisfy(outcome -> assertThat(outcome).startsWith("451 "));
            assertThat(mx.subjects()).hasSize(admitted).doesNotHaveDuplicates();
        }
    }

    private static double lateClusterEpisodes(OutboundNodes nodes) {
        return nodes.all().stream().mapToDouble(node -> node.server().registry()
                .get("sluice.cluster.fallback.episodes").functionCounter().count()).sum();
    }

    /**
     * 50 MTA sessions at once, taking turns over the relays' ports, each sending one message to the site whose
     * receiver holds the final replies; once every recipient was answered and the receiver holds the final replies of
     * those admitted, it lets them go. The RCPT reply of each refused, the final reply of each admitted.
     */
    private static List<String> fiftyHeldDeliveries(CountingMx mx, List<Integer> ports) throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(50);
        CountDownLatch recipientsAnswered = new CountDownLatch(50);
        AtomicInteger admitted = new AtomicInteger();
        try {
            List<Future<String>> deliveries = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                String subject = "p-" + i;
                int port = ports.get(i % ports.size());
                deliveries.add(threads.submit(() -> deliverHeld(port, subject, recipientsAnswered, admitted)));
            }
            assertThat(recipientsAnswered.await(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            await().atMost(WAIT).until(() -> mx.heldFinalReplies() == admitted.get());
            mx.release(50);
            List<String> outcomes = new ArrayList<>();
            for (Future<String> delivery : deliveries) {
                outcomes.add(delivery.get());
            }
            return outcomes;
        } finally {
            threads.shutdownNow();
        }
    }

    /** At most five connections were open at the receiver at once, and five deliveries went through them. */
    private static void assertHeldToFive(CountingMx mx, List<String> outcomes) {
        assertThat(mx.mostConnectionsOpen()).isEqualTo(5);
        assertThat(outcomes).filteredOn(outcome -> outcome.startsWith("250 ")).hasSize(5);
        assertThat(outcomes).filteredOn(outcome -> outcome.startsWith("451 4.4.5")).hasSize(45);
        assertThat(mx.subjects()).hasSize(5).doesNotHaveDuplicates();
    }

    @Test
    void domainsWhoseMxHostsShareASuffixShareOneSiteBudget() throws Exception {
        dns.mx("gmail.test", 300, 10, "mx1.google.test").address("mx1.google.test", 300, "127.0.0.2")
                .mx("googlemail.test", 300, 10, "mx2.google.test").address("mx2.google.test", 300, "127.0.0.3")
                .mx("other.test", 300, 10, "mx.other.test").address("mx.other.test", 300, "127.0.0.4");
        PolicyConfig policy = new PolicyConfig(List.of(),
                List.of(ConcurrencyRule.of("per-site", RuleKey.DESTINATION_SITE, 1)));
        try (CountingMx gmail = CountingMx.startAt("127.0.0.2", mxPort).holdingFinalReplies();
             CountingMx googlemail = CountingMx.startAt("127.0.0.3", mxPort);
             CountingMx other = CountingMx.startAt("127.0.0.4", mxPort);
             RunningOutbound sluice = RunningOutbound.resolvingWith(dns.hostPort(), mxPort)
                     .sites(List.of(new EgressSite("google", List.of(".google.test"))))
                     .reuse(ConnectionReuseConfig.DISABLED).policy(policy).start();
             RawSmtpClient first = new RawSmtpClient(sluice.port());
             RawSmtpClient second = new RawSmtpClient(sluice.port())) {
            first.greetedAndIntroduced();
            assertThat(first.command("MAIL FROM:<a@example.org>")).startsWith("250 ");
            assertThat(first.command("RCPT TO:<one@gmail.test>")).startsWith("250 ");
            assertThat(first.command("DATA")).startsWith("354 ");
            first.send("Subject: held\r\n\r\nbody\r\n.\r\n");
            await().atMost(WAIT).until(() -> gmail.heldFinalReplies() == 1);

            second.greetedAndIntroduced();
            assertThat(second.command("MAIL FROM:<a@example.org>")).startsWith("250 ");
            assertThat(second.command("RCPT TO:<two@googlemail.test>")).startsWith("451 4.4.5");
            assertThat(second.command("RSET")).startsWith("250 ");
            assertThat(message(second, "three@other.test", "other")).startsWith("250 ");

            gmail.release(1);
            assertThat(first.reply()).startsWith("250 ");
            // The site's connection closed with its transaction: its slot is free for the other domain again.
            await().atMost(WAIT).until(() -> gmail.connectionsOpen() == 0);
            await().atMost(WAIT).untilAsserted(() ->
                    assertThat(message(second, "two@googlemail.test", "after")).startsWith("250 "));
            assertThat(gmail.subjects()).containsExactly("held");
            assertThat(googlemail.subjects()).containsExactly("after");
            assertThat(other.subjects()).containsExactly("other");
        }
    }

    /** One session sending one message whose final reply the receiver holds; its RCPT reply, or the final one. */
    private static String deliverHeld(int port, String subject, CountDownLatch recipientAnswered,
                                      AtomicInteger admitted) throws Exception {
        try (RawSmtpClient client = new RawSmtpClient(port)) {
            client.greetedAndIntroduced();
            client.command("MAIL FROM:<a@example.org>");
            String rcpt = client.command("RCPT TO:<" + subject + "@busy.test>");
            if (rcpt.startsWith("250 ")) {
                admitted.incrementAndGet();
            }
            recipientAnswered.countDown();
            if (!rcpt.startsWith("250 ")) {
                return rcpt;
            }
            assertThat(client.command("DATA")).startsWith("354 ");
            return client.command("Subject: " + subject + "\r\n\r\nbody\r\n.");
        }
    }

    /**
     * Sends {@code sessions * perSession} messages to {@code domain} over {@code sessions} parallel MTA sessions, each
     * accepted; the wall-clock nanoseconds it took.
     */
    private static long send(int port, String domain, String prefix, int sessions, int perSession) throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(sessions);
        try {
            long start = System.nanoTime();
            List<Future<Void>> done = new ArrayList<>();
            for (int s = 0; s < sessions; s++) {
                int session = s;
                done.add(threads.submit((Callable<Void>) () -> {
                    try (RawSmtpClient client = new RawSmtpClient(port)) {
                        client.greetedAndIntroduced();
                        for (int m : IntStream.range(0, perSession).toArray()) {
                            String subject = prefix + "-" + (session * perSession + m);
                            assertThat(message(client, subject + "@" + domain, subject)).startsWith("250 ");
                        }
                        client.command("QUIT");
                    }
                    return null;
                }));
            }
            for (Future<Void> each : done) {
                each.get();
            }
            return System.nanoTime() - start;
        } finally {
            threads.shutdownNow();
        }
    }

    private static String message(RawSmtpClient client, String recipient, String subject) throws Exception {
        assertThat(client.command("MAIL FROM:<a@example.org>")).startsWith("250 ");
        assertThat(client.command("RCPT TO:<" + recipient + ">")).startsWith("250 ");
        assertThat(client.command("DATA")).startsWith("354 ");
        return client.command("Subject: " + subject + "\r\n\r\nbody\r\n.");
    }
}
