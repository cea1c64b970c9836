package io.sluice.policy.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import io.sluice.config.ClusterConfig;
import io.sluice.policy.fairshare.FairShareBook;
import io.sluice.policy.fairshare.ShareSummary;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Three members on loopback, each seeing part of the demand on one fair-share rule: a heavy network asks 40 tokens a
 * window on every node, 25 small networks 1 each on the first node and 25 others on the second, the third sees the
 * heavy one alone. The rule refills 60 a window. Alone, no node would hold the heavy network to 10 a window: the
 * third would not cap it at all. With the cluster's summaries every node does, each to its third of 10.
 */
@Timeout(120)
class ClusterFairSharesTest {

    private static final int MEMBERS = 3;
    private static final String RULE = "friday|60/60/1000|";
    private static final double TOKENS_PER_MILLI = 0.06;
    private static final long HEAVY = FairShareBook.keyOf("198.51.100.0/24");
    private static final long VICTIM = FairShareBook.keyOf("192.0.2.0/24");

    private static final List<ClusterNode> nodes = new ArrayList<>();
    private static final List<ClusterFairShares> shares = new ArrayList<>();
    private static ScheduledExecutorService turns;
    private final AtomicLong fed = new AtomicLong(Long.MIN_VALUE);

    @BeforeAll
    static void startMembers() {
        List<ClusterConfig> configs = TestClusters.members(TestClusters.clusterName(ClusterFairSharesTest.class),
                MEMBERS, Duration.ofSeconds(5), Duration.ofSeconds(30));
        nodes.addAll(configs.stream().map(config -> CompletableFuture.supplyAsync(() -> ClusterNode.start(config)))
                .toList().stream().map(CompletableFuture::join).toList());
        await().atMost(Duration.ofSeconds(60)).until(() -> nodes.stream().allMatch(n -> n.memberCount() == MEMBERS));
        turns = Executors.newScheduledThreadPool(MEMBERS);
        for (ClusterNode node : nodes) {
            shares.add(new ClusterFairShares(node, Clock.systemUTC(), turns));
        }
    }

    @AfterAll
    static void stopMembers() {
        shares.forEach(ClusterFairShares::close);
        if (turns != null) {
            turns.shutdownNow();
        }
        nodes.parallelStream().forEach(ClusterNode::close);
    }

    @Test
    void everyNodeCapsTheHeavyNetworkToItsPartOfTheShareFromAllNodesDemand() {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).untilAsserted(() -> {
            long now = feed();
            for (int i = 0; i < MEMBERS; i++) {
                FairShareBook.Share heavy = book(i).share(HEAVY, now);
                assertThat(heavy).as("node %d caps the heavy network", i).isNotNull();
                // 60 - 50 small = 10 a window for the heavy network; each node saw a third of its demand.
                assertThat(heavy.level()).as("node %d's water level", i).isCloseTo(10, within(0.01));
                assertThat(heavy.allowance()).as("node %d's allowance", i).isCloseTo(10.0 / 3, within(0.01));
            }
        });
        assertThat(shares).allSatisfy(node -> assertThat(node.otherNodes()).isEqualTo(MEMBERS - 1));
    }

    @Test
    void aSummaryNotSignedWithTheClusterSecretIsIgnoredAndCounted() throws Exception {
        // A rogue writer claims that the victim network asked a million tokens on "its" node, to squeeze its share.
        ShareSummary forged = ShareSummary.empty(FairShareBook.windowAt(System.currentTimeMillis()));
        forged.demand().update(VICTIM, 1_000_000);
        forged.keys().update(VICTIM);
        String payload = Base64.getEncoder().encodeToString(ClusterFairShares.encode(Map.of(RULE, forged)));
        long before = nodes.get(0).seal().forgedCount(ClusterSeal.Kind.FAIR_SHARE);
        nodes.get(2).hazelcast().getMap(ClusterFairShares.MAP).put("rogue", "0".repeat(64) + " " + payload);

        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() -> nodes.stream()
                .allMatch(node -> node.seal().forgedCount(ClusterSeal.Kind.FAIR_SHARE) > before));
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).untilAsserted(() -> {
            long now = feed();
            for (int i = 0; i < MEMBERS; i++) {
                // Node 0 sees the victim ask 1 a window: under any level, never capped by the forged demand.
                book(i).offered(VICTIM, 1, now);
                assertThat(book(i).share(VICTIM, now)).isNull();
            }
        });
        assertThat(shares).allSatisfy(node -> assertThat(node.otherNodes()).isLessThanOrEqualTo(MEMBERS - 1));
    }

    private static FairShareBook book(int node) {
        return shares.get(node).book(RULE, TOKENS_PER_MILLI);
    }

    /** Offers the window's demand on every node, once per window; returns the time. */
    private long feed() {
        long now = System.currentTimeMillis();
        long window = FairShareBook.windowAt(now);
        if (fed.getAndSet(window) != window) {
            for (int i = 0; i < MEMBERS; i++) {
                book(i).offered(HEAVY, 40, now);
            }
            for (int small = 0; small < 50; small++) {
                book(small < 25 ? 0 : 1).offered(FairShareBook.keyOf("203.0." + small + ".0/24"), 1, now);
            }
        }
        return now;
    }
}
