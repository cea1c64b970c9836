package io.sluice.proxy.relay;

import static io.sluice.proxy.relay.Rules.limit;
import static io.sluice.proxy.relay.Rules.policy;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.config.Counted;
import io.sluice.config.DrainConfig;
import io.sluice.config.PolicyConfig;
import io.sluice.config.Rate;
import io.sluice.config.RuleKey;
import io.sluice.proxy.peers.SmtpSinkProcess;
import io.sluice.proxy.relay.BurstDriver.Ended;
import io.sluice.proxy.relay.BurstDriver.Outcome;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A rolling restart of a three-node cluster under a burst: each node in turn drains (the load balancer takes
 * it out during its announce period), stops, and is replaced by a new node that joins the cluster. Clients see
 * only 250s and 4xx replies, the admitted rate stays within the limit, and every acknowledged message arrives.
 */
class RollingRestartTest {

    private static final Rate RATE = new Rate(20, Duration.ofSeconds(1));
    private static final long BURST = 5;
    private static final PolicyConfig FRIDAY =
            policy(limit("friday", RuleKey.GLOBAL, Counted.MESSAGES, RATE, BURST, Rules.BUSY));
    private static final DrainConfig DRAIN = new DrainConfig(Duration.ofSeconds(1), Duration.ofSeconds(10));
    private static final Duration LOAD_BALANCER_LAG = Duration.ofMillis(500);
    private static final Duration RUN = Duration.ofSeconds(24);

    @Test
    void restartingEveryNodeInTurnKeepsTheLimitAndLosesNothing() throws Exception {
        try (SmtpSinkProcess sink = SmtpSinkProcess.start();
             ClusterNodes nodes = ClusterNodes.start(3, sink.port(), true, FRIDAY, DRAIN)) {
            List<RunningSluice> originals = nodes.live();
            ScheduledExecutorService restarts = Executors.newSingleThreadScheduledExecutor();
            ScheduledFuture<?> rolling = restarts.schedule(() -> {
                for (RunningSluice node : originals) {
                    restart(nodes, node);
                }
                return null;
            }, 4, TimeUnit.SECONDS);

            List<Ended> ended = new BurstDriver(nodes::next, 10 * RATE.perSecond(), RUN).run(0, null);
            rolling.get(60, TimeUnit.SECONDS);
            restarts.shutdown();

            Map<Outcome, Integer> outcomes = new EnumMap<>(Outcome.class);
            ended.forEach(e -> outcomes.merge(e.outcome(), 1, Integer::sum));
            int delivered = outcomes.getOrDefault(Outcome.DELIVERED, 0);
            double expected = BURST + RATE.perSecond() * RUN.toSeconds();
            System.out.printf("rolling restart of 3 nodes under %.0f sessions/s for %ds, limit %s burst %d: %s,"
                    + " admitted %.3f of %.0f%n", 10 * RATE.perSecond(), RUN.toSeconds(), RATE, BURST, outcomes,
                    delivered / expected, expected);

            assertThat(ended).filteredOn(e -> e.outcome() == Outcome.ERROR).as("anything but 250 or 4xx").isEmpty();
            assertThat((double) delivered).as("within the limit").isLessThanOrEqualTo(expected * 1.05);
            assertThat((double) delivered).as("admission went on throughout").isGreaterThan(expected * 0.8);
            assertThat(sink.awaitMessages(delivered, Duration.ofSeconds(30))).as("no message lost").hasSize(delivered);
        }
    }

    /** Drain, out of the load balancer within the announce period, stopped, replaced. */
    private static void restart(ClusterNodes nodes, RunningSluice node) throws Exception {
        node.server().state().startDrain();
        TimeUnit.MILLISECONDS.sleep(LOAD_BALANCER_LAG.toMillis());
        nodes.remove(node);
        node.server().stopped().get(30, TimeUnit.SECONDS);
        nodes.addReplacement(3);
        // The next node waits until the cluster is whole again, as a rolling update waits for readiness.
        TimeUnit.SECONDS.sleep(2);
    }
}
