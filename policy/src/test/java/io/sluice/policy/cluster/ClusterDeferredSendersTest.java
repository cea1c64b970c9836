package io.sluice.policy.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.config.RetryPriority;
import io.sluice.policy.retry.DeferredSenders;
import io.sluice.policy.retry.DeferredSendersContract;
import io.sluice.policy.retry.SteppedClock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The contract on a one-member cluster, and what the member's map holds: one entry per generation, the union of
 * every node's marks, which a node that starts later reads back.
 */
class ClusterDeferredSendersTest extends DeferredSendersContract {

    private static ClusterNode node;
    private static ScheduledExecutorService turns;

    @BeforeAll
    static void startMember() {
        node = ClusterNode.start(TestClusters.standalone(TestClusters.clusterName(ClusterDeferredSendersTest.class),
                Duration.ofMinutes(5)));
        turns = Executors.newScheduledThreadPool(2);
    }

    @AfterAll
    static void stopMember() {
        turns.shutdownNow();
        node.close();
    }

    @Override
    protected DeferredSenders newMarks(RetryPriority config, SteppedClock clock) {
        // Every test starts with an empty map: tests share the member and a generation's key.
        node.hazelcast().getMap(ClusterDeferredSenders.MAP).clear();
        return new ClusterDeferredSenders(node, config, clock, turns);
    }

    @Test
    void aNodeThatStartsLaterReadsTheClustersMarksBack() {
        long sender = randomKey();
        marks.mark(sender);
        long firstDeferred = marks.firstDeferred(sender);

        try (DeferredSenders later = new ClusterDeferredSenders(node, CONFIG, clock, turns)) {
            await().atMost(Duration.ofSeconds(5)).until(() -> later.firstDeferred(sender) == firstDeferred);
            assertThat(node.hazelcast().getMap(ClusterDeferredSenders.MAP).size()).as("one entry per generation")
                    .isEqualTo(1);
        }
    }
}
