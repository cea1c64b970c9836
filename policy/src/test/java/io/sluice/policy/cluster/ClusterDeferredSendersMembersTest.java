package io.sluice.policy.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.config.ClusterConfig;
import io.sluice.config.RetryPriority;
import io.sluice.policy.retry.DeferredSenders;
import io.sluice.policy.retry.MarkKey;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Three members on loopback, each with its own marks: a mark left on one is seen by the others within two turns. */
@Timeout(120)
class ClusterDeferredSendersMembersTest {

    private static final int MEMBERS = 3;
    private static final RetryPriority CONFIG = new RetryPriority(true, 0.3, Duration.ofHours(4), 16, 100_000, 0.01);

    private static final List<ClusterNode> nodes = new ArrayList<>();
    private static final List<DeferredSenders> marks = new ArrayList<>();
    private static ScheduledExecutorService turns;

    @BeforeAll
    static void startMembers() {
        List<ClusterConfig> configs = TestClusters.members(
                TestClusters.clusterName(ClusterDeferredSendersMembersTest.class), MEMBERS, Duration.ofSeconds(5),
                Duration.ofSeconds(30));
        nodes.addAll(configs.stream().map(config -> CompletableFuture.supplyAsync(() -> ClusterNode.start(config)))
                .toList().stream().map(CompletableFuture::join).toList());
        await().atMost(Duration.ofSeconds(60)).until(() -> nodes.stream().allMatch(n -> n.memberCount() == MEMBERS));
        turns = Executors.newScheduledThreadPool(MEMBERS);
        for (ClusterNode node : nodes) {
            marks.add(new ClusterDeferredSenders(node, CONFIG, Clock.systemUTC(), turns));
        }
    }

    @AfterAll
    static void stopMembers() {
        marks.forEach(DeferredSenders::close);
        if (turns != null) {
            turns.shutdownNow();
        }
        nodes.parallelStream().forEach(ClusterNode::close);
    }

    @Test
    void aMarkLeftOnOneMemberIsSeenByTheOthersWithinTwoTurns() throws Exception {
        for (int from = 0; from < MEMBERS; from++) {
            long sender = MarkKey.of(InetAddress.getByName("198.51.100." + (10 + from)), "bulk@sender.example");
            assertThat(marks.get(from).mark(sender)).isTrue();
            long marked = System.nanoTime();

            for (int other = 0; other < MEMBERS; other++) {
                DeferredSenders seen = marks.get(other);
                await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20))
                        .until(() -> seen.firstDeferred(sender) >= 0);
            }
            Duration took = Duration.ofNanos(System.nanoTime() - marked);
            // Two turns of a second: the marking node's send, the others' read. A busy machine gets half a second more.
            assertThat(took).as("mark from member %d seen by all", from)
                    .isLessThan(Duration.ofMillis(2 * ClusterDeferredSenders.TURN_MILLIS + 500));
        }
    }
}
