package io.sluice.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.proxy.peers.SmtpSinkProcess;
import io.sluice.proxy.relay.BurstDriver.Ended;
import io.sluice.proxy.relay.BurstDriver.Outcome;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two Sluice processes on loopback, one Hazelcast cluster, one sink behind them and a burst at four times a
 * global message rate against both; then the links between the members are cut while both processes keep running,
 * and restored. Every client gets 250 or the rule's 451 throughout; while split, each side keeps limiting on its
 * own (so together they admit up to twice the rate, with {@code min-members: 1}); once healed, the members merge
 * into one cluster again and admission is back at the rate.
 */
class ClusterPartitionTest {

    private static final int RATE = 20;
    private static final int BURST = 5;
    private static final String BUSY = "451 4.7.1 Busy, try again later";
    private static final String POLICY = """
            policy:
              limits:
                - { name: friday, key: global, counts: messages, rate: %d/1s, burst: %d, reply: "%s" }
            """.formatted(RATE, BURST, BUSY);
    private static final double OFFERED_PER_SECOND = 4 * RATE;
    private static final Duration SPLIT_AT = Duration.ofSeconds(10);
    private static final Duration HEAL_AT = Duration.ofSeconds(26);
    private static final Duration BURST_TIME = Duration.ofSeconds(48);
    // Hazelcast drops a member after 10 s without heartbeats and looks for split clusters every 5 s (ClusterNode).
    private static final Duration DETECTION_BUDGET = Duration.ofSeconds(20);
    private static final Duration MERGE_BUDGET = Duration.ofSeconds(15);
    // Counts by session end: a window's edges move by a session's duration, and a phase may start with up to
    // BURST tokens in the bucket; 15% of a window of 5 s or more at 20/s covers both.
    private static final double MARGIN = 0.15;
    private static final Duration MIN_WINDOW = Duration.ofSeconds(5);
    // The first seconds warm the JVMs up: decisions that take longer than decision-timeout fall back locally.
    private static final Duration WARM_UP = Duration.ofSeconds(4);
    private static final Duration SETTLE = Duration.ofSeconds(2);

    // No timeout over the whole test: it would count two JVM starts, which take what the machine gives them. Every
    // step is bounded on its own: a start by the processor time it uses, the waits by what Hazelcast promises.
    @Test
    void eachSideLimitsOnItsOwnWhileSplitAndTheMembersMergeBackOnceHealed(@TempDir Path dir) throws Exception {
        try (SmtpSinkProcess sink = SmtpSinkProcess.start();
             PartitionableCluster nodes = PartitionableCluster.start(dir, 2, sink.port(), POLICY)) {
            awaitMembers(nodes, 2, Duration.ofSeconds(60));
            BurstDriver driver = new BurstDriver(nodes::next, OFFERED_PER_SECOND, BURST_TIME);
            CompletableFuture<List<Ended>> burst = CompletableFuture.supplyAsync(() -> run(driver));
            await().atMost(Duration.ofSeconds(10)).until(() -> driver.started() > 0);

            awaitBurstTime(driver, SPLIT_AT);
            nodes.cut();
            long cut = driver.nanosSinceStart();
            awaitMembers(nodes, 1, DETECTION_BUDGET);
            long split = driver.nanosSinceStart();

            awaitBurstTime(driver, HEAL_AT);
            nodes.heal();
            long heal = driver.nanosSinceStart();
            awaitMembers(nodes, 2, MERGE_BUDGET);
            long merged = driver.nanosSinceStart();
            List<Ended> ended = burst.get(2, TimeUnit.MINUTES);

            List<Integer> ports = nodes.smtpPorts();
            Window before = new Window("together", WARM_UP.toNanos(), cut, ended);
            Window detecting = new Window("cut, not yet split", cut, split, ended);
            Window apart = new Window("split", split + SETTLE.toNanos() / 2, heal, ended);
            Window merging = new Window("healed, merging", heal, merged, ended);
            Window after = new Window("merged", merged + SETTLE.toNanos(), BURST_TIME.toNanos(), ended);
            System.out.printf("partition of 2 nodes under %.0f sessions/s at a limit of %d/s, burst %d:%n"
                            + "  cut at %.1fs, each member alone after %.1fs, healed at %.1fs, merged after %.1fs%n"
                            + "  %s%n  %s%n  %s%n  %s%n  %s%n  fallback episodes: node0 %d, node1 %d%n",
                    OFFERED_PER_SECOND, RATE, BURST, seconds(cut), seconds(split - cut), seconds(heal),
                    seconds(merged - heal), before.describe(ports), detecting.describe(ports), apart.describe(ports),
                    merging.describe(ports), after.describe(ports), nodes.fallbackEpisodes(0),
                    nodes.fallbackEpisodes(1));

            assertThat(ended).as(() -> "sessions that got anything but 250 or the rule's 451; what the nodes warned of:\n"
                            + warnings(nodes.logs()) + "\nwhat the sink printed:\n" + sink.output())
                    .allMatch(e -> e.outcome() == Outcome.DELIVERED
                            || e.outcome() == Outcome.REFUSED_AT_MAIL && e.detail().equals(BUSY));
            assertThat(after.toNanos() - after.fromNanos()).as("time measured after the merge")
                    .isGreaterThanOrEqualTo(MIN_WINDOW.toNanos());
            assertThat(before.perSecond()).as("together: the rate")
                    .isBetween(RATE * (1 - MARGIN), RATE * (1 + MARGIN));
            for (int port : ports) {
                assertThat(apart.perSecond(port)).as("split: node on port %d limits on its own", port)
                        .isBetween(RATE * (1 - MARGIN), RATE * (1 + MARGIN));
            }
            assertThat(after.perSecond()).as("merged: the rate again")
                    .isBetween(RATE * (1 - MARGIN), RATE * (1 + MARGIN));
            long delivered = ended.stream().filter(e -> e.outcome() == Outcome.DELIVERED).count();
            assertThat(sink.awaitMessages((int) delivered, Duration.ofSeconds(30)))
                    .as("every acknowledged message at the sink, no more").hasSize((int) delivered);
        }
    }

    private static List<Ended> run(BurstDriver driver) {
        try {
            return driver.run(0, null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CompletionException(e);
        }
    }

    /** Waits until every node sees {@code count} members; fails with the nodes' logs if they do not in time. */
    private static void awaitMembers(PartitionableCluster nodes, int count, Duration timeout) {
        try {
            await().atMost(timeout).pollInterval(Duration.ofMillis(200)).until(() -> nodes.allSee(count));
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("not every node saw " + count + " member(s) within " + timeout + "; logs:\n"
                    + nodes.logs(), e);
        }
    }

    private static void awaitBurstTime(BurstDriver driver, Duration time) {
        await().atMost(time.plusSeconds(30)).pollInterval(Duration.ofMillis(50))
                .until(() -> driver.nanosSinceStart() >= time.toNanos());
    }

    /** The lines of the nodes' logs at WARN or ERROR: why a session was refused where the test expects none. */
    private static String warnings(String logs) {
        return logs.lines().filter(line -> line.startsWith("---") || line.contains("\"level\":\"WARN\"")
                || line.contains("\"level\":\"ERROR\"")).collect(Collectors.joining("\n"));
    }

    private static double seconds(long nanos) {
        return nanos / 1e9;
    }

    /** The messages admitted between two points of the burst, by when their sessions ended. */
    private record Window(String name, long fromNanos, long toNanos, List<Ended> ended) {

        long admitted(int port) {
            return ended.stream().filter(e -> e.outcome() == Outcome.DELIVERED && e.port() == port
                    && e.nanos() >= fromNanos && e.nanos() < toNanos).count();
        }

        double perSecond(int port) {
            return admitted(port) / seconds(toNanos - fromNanos);
        }

        double perSecond() {
            long admitted = ended.stream().filter(e -> e.outcome() == Outcome.DELIVERED
                    && e.nanos() >= fromNanos && e.nanos() < toNanos).count();
            return admitted / seconds(toNanos - fromNanos);
        }

        String describe(List<Integer> ports) {
            StringBuilder text = new StringBuilder(String.format("%-19s %5.1fs: %5.1f/s admitted (", name + ",",
                    seconds(toNanos - fromNanos), perSecond()));
            for (int i = 0; i < ports.size(); i++) {
                text.append(i == 0 ? "" : ", ").append(String.format("node%d %.1f/s", i, perSecond(ports.get(i))));
            }
            return text.append(')').toString();
        }
    }
}
