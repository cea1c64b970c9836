package io.sluice.policy.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.map.IMap;
import io.sluice.policy.fairshare.FairShareBook;
import io.sluice.policy.retry.SteppedClock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A node that closes its fair shares (the server does before it leaves the cluster) takes its demand off the map at
 * once, and a publish after that puts nothing back, so the other nodes stop counting it without waiting for its
 * entry to expire.
 */
@Timeout(60)
class ClusterFairSharesCloseTest {

    private static final String RULE = "friday|60/60/1000|";
    private static final long HEAVY = FairShareBook.keyOf("198.51.100.0/24");

    @Test
    void aClosedNodeTakesItsEntryOffAndPutsNothingMore() throws Exception {
        ScheduledExecutorService turns = Executors.newSingleThreadScheduledExecutor();
        try (ClusterNode node = ClusterNode.start(TestClusters.standalone(
                TestClusters.clusterName(ClusterFairSharesCloseTest.class), Duration.ofSeconds(30)))) {
            // At the start of a window, and still only when the test moves it.
            SteppedClock clock = new SteppedClock(1_800_000_000_000L);
            ClusterFairShares shares = new ClusterFairShares(node, clock, turns);
            IMap<String, String> map = node.hazelcast().getMap(ClusterFairShares.MAP);
            FairShareBook book = shares.book(RULE, 0.06);

            book.offered(HEAVY, 40, clock.millis());
            clock.advance(Duration.ofSeconds(1));
            shares.publish();
            // Read from the same thread as the put, on the same key's partition: answered after the put.
            assertThat(map.get(node.nodeId())).as("the window's demand, published").isNotNull();

            shares.close();
            assertThat(map.get(node.nodeId())).as("taken off by close").isNull();

            book.offered(HEAVY, 40, clock.millis());
            clock.advance(Duration.ofSeconds(1));
            shares.publish();
            assertThat(map.get(node.nodeId())).as("a publish after close puts nothing").isNull();
        } finally {
            turns.shutdownNow();
        }
    }
}
