package io.sluice.proxy.relay;

import static io.sluice.proxy.relay.Rules.limit;
import static io.sluice.proxy.relay.Rules.policy;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.config.Counted;
import io.sluice.config.PolicyConfig;
import io.sluice.config.Rate;
import io.sluice.config.RuleKey;
import io.sluice.policy.model.Facts;
import io.sluice.proxy.peers.SmtpSinkProcess;
import io.sluice.proxy.relay.BurstDriver.Ended;
import io.sluice.proxy.relay.BurstDriver.Outcome;
import java.net.InetAddress;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Three Sluice nodes on loopback, one Hazelcast cluster, one sink behind them, and a burst at ten times a
 * global message rate: the sink gets the configured rate, not three times it, and every session that was not
 * admitted got a 4xx. The same burst against nodes with limits of their own shows what a per-pod limit does.
 *
 * <p>Admission is measured by when MAIL was answered, over the time the decisions really took: on a busy machine
 * sessions start late and last long, so their ends and the burst's nominal duration say little about the rate.
 */
class ClusterFlowControlTest {

    private static final Rate RATE = new Rate(20, Duration.ofSeconds(1));
    private static final long BURST = 5;
    private static final double OFFERED_PER_SECOND = 10 * RATE.perSecond();
    private static final Duration BURST_TIME = Duration.ofSeconds(20);
    private static final PolicyConfig FRIDAY =
            policy(limit("friday", RuleKey.GLOBAL, Counted.MESSAGES, RATE, BURST, Rules.BUSY));

    @Test
    void threeNodesAdmitTheClusterRateWhereLocalLimitsAdmitThreeTimesIt() throws Exception {
        List<Ended> clusterEnded;
        List<Ended> localEnded;
        try (SmtpSinkProcess sink = SmtpSinkProcess.start()) {
            try (ClusterNodes nodes = ClusterNodes.start(3, sink.port(), true, FRIDAY)) {
                clusterEnded = new BurstDriver(nodes::next, OFFERED_PER_SECOND, BURST_TIME).run(0, null);
            }
            int delivered = count(clusterEnded).get(Outcome.DELIVERED);
            assertThat(sink.awaitMessages(delivered, Duration.ofSeconds(30)))
                    .as("every acknowledged message at the sink, no more").hasSize(delivered);
        }
        try (SmtpSinkProcess sink = SmtpSinkProcess.start();
             ClusterNodes nodes = ClusterNodes.start(3, sink.port(), false, FRIDAY)) {
            localEnded = new BurstDriver(nodes::next, OFFERED_PER_SECOND, BURST_TIME).run(0, null);
        }
        Map<Outcome, Integer> cluster = count(clusterEnded);
        Map<Outcome, Integer> local = count(localEnded);
        Decisions clusterDecisions = Decisions.of(clusterEnded);
        Decisions localDecisions = Decisions.of(localEnded);
        System.out.printf("burst of %.0f sessions/s for %ds at a limit of %s, burst %d, over 3 nodes:%n"
                        + "  cluster-wide limit: %s, decided over %s, admitted %.3f of at most %.0f%n"
                        + "  per-node limits:    %s, decided over %s, admitted %.3f of at most %.0f%n",
                OFFERED_PER_SECOND, BURST_TIME.toSeconds(), RATE, BURST, cluster, clusterDecisions,
                cluster.get(Outcome.DELIVERED) / clusterDecisions.atMost(1), clusterDecisions.atMost(1), local,
                localDecisions, local.get(Outcome.DELIVERED) / localDecisions.atMost(3), localDecisions.atMost(3));

        assertThat(cluster.get(Outcome.ERROR)).as("sessions that got anything but 250 or a 4xx").isZero();
        assertThat((double) cluster.get(Outcome.DELIVERED))
                .isBetween(clusterDecisions.atLeast(1) * 0.98, clusterDecisions.atMost(1) * 1.02);
        assertThat(cluster.get(Outcome.REFUSED_AT_MAIL)).as("the burst was really over the limit")
                .isGreaterThan(8 * cluster.get(Outcome.DELIVERED));
        assertThat(local.get(Outcome.ERROR)).isZero();
        assertThat((double) local.get(Outcome.DELIVERED)).as("per-node limits admit about three times the rate")
                .isGreaterThan(0.9 * localDecisions.atLeast(3));
    }

    @Test
    void limitingGoesOnWhenTheMemberOwningTheBucketDies() throws Exception {
        Duration killAt = Duration.ofSeconds(8);
        try (SmtpSinkProcess sink = SmtpSinkProcess.start();
             ClusterNodes nodes = ClusterNodes.start(3, sink.port(), true, FRIDAY)) {
            RunningSluice owner = nodes.ownerOf(bucketKey(nodes.first()));
            BurstDriver driver = new BurstDriver(nodes::next, OFFERED_PER_SECOND, BURST_TIME);
            AtomicLong killed = new AtomicLong();
            List<Ended> ended = driver.run(killAt.toNanos(), () -> {
                // As the load balancer would: no new sessions to the node, then it dies with its member.
                nodes.remove(owner);
                await().atMost(Duration.ofSeconds(10)).until(() -> driver.inFlight(owner.port()) == 0);
                owner.server().limits().node().orElseThrow().kill();
                killed.set(driver.nanosSinceStart());
                owner.close();
            });
            Map<Outcome, Integer> outcomes = count(ended);
            // Settled some time after the member really died: its sessions may take seconds to end on a busy machine.
            long settled = killed.get() + Duration.ofSeconds(3).toNanos();
            assertThat(BURST_TIME.toNanos() - settled).as("time measured after the owner's death")
                    .isGreaterThanOrEqualTo(Duration.ofSeconds(5).toNanos());
            long after = ended.stream().filter(e -> e.outcome() == Outcome.DELIVERED)
                    .filter(e -> e.decidedIn(settled, BURST_TIME.toNanos())).count();
            double window = (BURST_TIME.toNanos() - settled) / 1e9;
            System.out.printf("member owning the bucket killed at %.1fs: %s; after %.1fs, %d admitted in %.1fs"
                    + " = %.1f/s (limit %s)%n", killed.get() / 1e9, outcomes, settled / 1e9, after, window,
                    after / window, RATE);

            assertThat(ended).filteredOn(e -> e.outcome() == Outcome.ERROR).as("errors").isEmpty();
            assertThat(after / window).as("admission back at the configured rate")
                    .isBetween(RATE.perSecond() * 0.9, RATE.perSecond() * 1.1);
            assertThat(sink.awaitMessages(outcomes.get(Outcome.DELIVERED), Duration.ofSeconds(30)))
                    .hasSize(outcomes.get(Outcome.DELIVERED));
        }
    }

    private static String bucketKey(RunningSluice node) throws Exception {
        Facts mail = Facts.connect("mx", InetAddress.getLoopbackAddress()).withSender("burst@example.org", 0);
        return node.server().policy().policy().plan(io.sluice.config.RuleKey.Stage.MAIL, mail)
                .charges().get(0).bucketKey();
    }

    /**
     * When the burst's admission decisions were made: each between its MAIL's sending and its answer, so the
     * buckets decided during at most the time from the first sending to the last answer, and at least from the first
     * answer to the last sending.
     */
    private record Decisions(long firstSent, long firstAnswered, long lastSent, long lastAnswered) {

        static Decisions of(List<Ended> ended) {
            List<Ended> decided = ended.stream().filter(e -> e.mailAnsweredNanos() >= 0).toList();
            assertThat(decided).as("sessions that reached MAIL").isNotEmpty();
            return new Decisions(decided.stream().mapToLong(Ended::mailSentNanos).min().orElseThrow(),
                    decided.stream().mapToLong(Ended::mailAnsweredNanos).min().orElseThrow(),
                    decided.stream().mapToLong(Ended::mailSentNanos).max().orElseThrow(),
                    decided.stream().mapToLong(Ended::mailAnsweredNanos).max().orElseThrow());
        }

        /** What {@code buckets} buckets of the rule admit at most while over-offered for the longest span. */
        double atMost(int buckets) {
            return buckets * (BURST + RATE.perSecond() * (lastAnswered - firstSent) / 1e9);
        }

        /** What {@code buckets} buckets admit at least while over-offered for the shortest span. */
        double atLeast(int buckets) {
            return buckets * (BURST + RATE.perSecond() * (lastSent - firstAnswered) / 1e9);
        }

        @Override
        public String toString() {
            return String.format("%.1f-%.1fs", (lastSent - firstAnswered) / 1e9, (lastAnswered - firstSent) / 1e9);
        }
    }

    private static Map<Outcome, Integer> count(List<Ended> ended) {
        Map<Outcome, Integer> counts = new EnumMap<>(Outcome.class);
        for (Outcome outcome : Outcome.values()) {
            counts.put(outcome, 0);
        }
        ended.forEach(e -> counts.merge(e.outcome(), 1, Integer::sum));
        return counts;
    }
}
