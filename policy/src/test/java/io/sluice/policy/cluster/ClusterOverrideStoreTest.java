package io.sluice.policy.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.config.Cidr;
import io.sluice.config.ClusterConfig;
import io.sluice.config.Counted;
import io.sluice.config.HostPort;
import io.sluice.config.LimitRule;
import io.sluice.config.OverrideSpec;
import io.sluice.config.PolicyConfig;
import io.sluice.config.Rate;
import io.sluice.config.RuleKey;
import io.sluice.config.RuleMatch;
import io.sluice.policy.eval.PolicyEngine;
import io.sluice.policy.override.LimitOverride;
import io.sluice.testing.TestPorts;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * An override made on one node is in force on every node, and one joining later; removed or expired, it is gone
 * from all. Every node sees every other node's card, and a node that stops takes its card with it.
 */
class ClusterOverrideStoreTest {

    private static final PolicyConfig POLICY = new PolicyConfig(List.of(LimitRule.of("per-ip", RuleKey.CLIENT_IP,
            Counted.CONNECTIONS, new Rate(30, Duration.ofMinutes(1)), 60)), List.of());
    /** The life of the override that must expire during the test. */
    private static final Duration BRIEF = Duration.ofSeconds(6);

    private final List<AutoCloseable> closing = new ArrayList<>();

    /** One node: its engine and override store. */
    private record Node(LimitStore limits, PolicyEngine engine, ClusterOverrideStore overrides) {}

    @AfterEach
    void close() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
    }

    @Test
    void anOverrideReachesEveryNodeAndLeavesThemWhenRemovedOrExpired() {
        List<ClusterConfig> configs = TestClusters.members(TestClusters.clusterName(getClass()), 3,
                Duration.ofSeconds(5), Duration.ofSeconds(30));
        List<Node> nodes = configs.stream().map(this::node).toList();
        await().atMost(Duration.ofSeconds(60)).until(() -> nodes.stream()
                .allMatch(node -> node.limits().node().orElseThrow().memberCount() == 3));

        // With a source-site condition too, as receivers' feedback writes: it travels and is signed with the rest.
        RuleMatch partner = new RuleMatch(List.of(Cidr.parse("198.51.100.0/24")), List.of(), List.of(), List.of(),
                List.of(), List.of("203.0.113.10|google"));
        Clock clock = Clock.systemUTC();
        LimitOverride lasting = nodes.get(0).overrides().add(new OverrideSpec("per-ip", partner, 3,
                clock.instant().plus(Duration.ofHours(1)), "partner"), "alice").join();
        LimitOverride brief = nodes.get(1).overrides().add(new OverrideSpec("per-ip", RuleMatch.NONE, 2,
                clock.instant().plus(BRIEF), "brief"), "bob").join();

        // Both must be seen everywhere before the brief one expires; how long the adds took on a busy machine
        // comes out of that time, not out of a fixed budget that the brief one's life could undercut.
        await("both on every node").atMost(Duration.between(clock.instant(), brief.spec().expires()))
                .until(() -> nodes.stream().allMatch(node -> node.engine().policy().overrides().size() == 2));
        assertThat(nodes.get(2).overrides().list()).containsExactly(lasting, brief);

        Node joining = node(configs.get(0).withMembers(ClusterConfig.Mode.EMBEDDED,
                new HostPort("127.0.0.1", TestPorts.freeOnLoopback()),
                configs.stream().map(ClusterConfig::bind).toList()));
        assertThat(joining.overrides().list()).as("a node that joins takes them").contains(lasting);

        assertThat(nodes.get(2).overrides().remove(lasting.id()).join()).isTrue();
        await("removed from every node").atMost(Duration.ofSeconds(10)).until(() -> nodes.stream()
                .noneMatch(node -> node.engine().policy().overrides().contains(lasting)));
        await("expired everywhere").atMost(Duration.ofSeconds(15)).until(() -> nodes.stream()
                .allMatch(node -> node.overrides().list().isEmpty() && node.engine().policy().overrides().isEmpty()));
    }

    @Test
    void everyNodeSeesTheOthersCardsAndAStoppedNodeLeavesTheList() {
        List<ClusterConfig> configs = TestClusters.members(TestClusters.clusterName(getClass()), 2,
                Duration.ofSeconds(5), Duration.ofSeconds(30));
        LimitStore first = LimitStore.open(configs.get(0), new SimpleMeterRegistry());
        closing.add(first);
        LimitStore second = LimitStore.open(configs.get(1), new SimpleMeterRegistry());
        closing.add(second);
        NodeDirectory one = NodeDirectory.in(first.node().orElseThrow(), () -> Map.of("phase", "serving"));
        closing.add(one);
        NodeDirectory two = NodeDirectory.in(second.node().orElseThrow(), () -> Map.of("phase", "draining"));

        await().atMost(Duration.ofSeconds(10)).until(() -> one.nodes().size() == 2);
        assertThat(one.nodes().get(0)).containsEntry("id", first.node().orElseThrow().nodeId())
                .containsEntry("phase", "serving");
        assertThat(one.nodes().get(1)).containsEntry("id", second.node().orElseThrow().nodeId())
                .containsEntry("phase", "draining");

        two.close();
        await("its card goes with it").atMost(Duration.ofSeconds(5)).until(() -> one.nodes().size() == 1);
    }

    private Node node(ClusterConfig config) {
        LimitStore limits = LimitStore.open(config, new SimpleMeterRegistry());
        closing.add(limits);
        PolicyEngine engine = new PolicyEngine(POLICY, limits.limiter(), limits.leases(), new SimpleMeterRegistry());
        return new Node(limits, engine, new ClusterOverrideStore(limits.node().orElseThrow(), engine,
                Clock.systemUTC()));
    }
}
