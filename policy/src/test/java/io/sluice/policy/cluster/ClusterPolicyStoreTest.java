package io.sluice.policy.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.config.ClusterConfig;
import io.sluice.config.Counted;
import io.sluice.config.LimitRule;
import io.sluice.config.PolicyConfig;
import io.sluice.config.Rate;
import io.sluice.config.RuleKey;
import io.sluice.policy.eval.PolicyEngine;
import io.sluice.policy.eval.VersionedPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A policy change made on one node is in force on every node, and a node that joins takes the cluster's. */
class ClusterPolicyStoreTest {

    private static final Set<String> LISTENERS = Set.of("mx");

    private final List<LimitStore> stores = new ArrayList<>();

    /** One node: its limit store, engine and policy store. */
    private record Node(PolicyEngine engine, ClusterPolicyStore policies) {}

    @AfterEach
    void close() {
        stores.forEach(LimitStore::close);
    }

    @Test
    void aChangeOnOneNodeIsInForceOnAllWithinASecond() throws Exception {
        List<ClusterConfig> configs = TestClusters.members(TestClusters.clusterName(getClass()), 3,
                Duration.ofSeconds(5), Duration.ofSeconds(30));
        List<Node> nodes = new ArrayList<>();
        for (ClusterConfig config : configs) {
            nodes.add(node(config, PolicyConfig.EMPTY));
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> stores.stream()
                .allMatch(store -> store.node().orElseThrow().memberCount() == 3));

        long worstNanos = 0;
        for (int change = 1; change <= 20; change++) {
            Node writer = nodes.get(change % nodes.size());
            long expected = writer.policies().current().version();
            PolicyConfig policy = policyWithRate(change);
            long start = System.nanoTime();
            Optional<VersionedPolicy> written = writer.policies().replace(expected, policy).get();
            assertThat(written).isPresent();
            long version = written.get().version();
            for (Node node : nodes) {
                long deadline = start + Duration.ofSeconds(5).toNanos();
                while (node.policies().current().version() < version && System.nanoTime() < deadline) {
                    LockSupport.parkNanos(100_000);
                }
                assertThat(node.policies().current().version()).isEqualTo(version);
                assertThat(node.engine().policy().config()).isEqualTo(policy);
            }
            worstNanos = Math.max(worstNanos, System.nanoTime() - start);
        }
        System.out.printf("20 policy changes on 3 members: worst time until in force on all: %.1f ms%n",
                worstNanos / 1e6);
        assertThat(Duration.ofNanos(worstNanos)).isLessThan(Duration.ofSeconds(1));
    }

    @Test
    void aStaleChangeChangesNothingAndAJoiningNodeTakesTheClustersPolicy() throws Exception {
        List<ClusterConfig> configs = TestClusters.members(TestClusters.clusterName(getClass()), 2,
                Duration.ofSeconds(5), Duration.ofSeconds(30));
        Node first = node(configs.get(0), policyWithRate(1));
        VersionedPolicy second = first.policies().replace(1, policyWithRate(2)).get().orElseThrow();

        assertThat(first.policies().replace(1, policyWithRate(3)).get()).as("based on version 1").isEmpty();
        assertThat(first.policies().current()).isEqualTo(second);

        Node joining = node(configs.get(1), policyWithRate(99));

        assertThat(joining.policies().current().version()).isEqualTo(2);
        assertThat(joining.engine().policy().config()).isEqualTo(policyWithRate(2));
    }

    private Node node(ClusterConfig config, PolicyConfig file) {
        LimitStore store = LimitStore.open(config, new SimpleMeterRegistry());
        stores.add(store);
        PolicyEngine engine = new PolicyEngine(file, store.limiter(), store.leases(), new SimpleMeterRegistry());
        return new Node(engine, new ClusterPolicyStore(store.node().orElseThrow(), engine, LISTENERS,
                new SimpleMeterRegistry()));
    }

    private static PolicyConfig policyWithRate(int perSecond) {
        return new PolicyConfig(List.of(LimitRule.of("friday", RuleKey.GLOBAL, Counted.MESSAGES,
                new Rate(perSecond, Duration.ofSeconds(1)), perSecond)), List.of());
    }
}
