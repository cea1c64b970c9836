package io.sluice.policy.cluster;

import static org.awaitility.Awaitility.await;

import io.sluice.config.ClusterConfig;
import io.sluice.config.ClusterConfig.Discovery;
import io.sluice.config.ClusterConfig.Mode;
import io.sluice.config.ClusterConfig.OnUnavailable;
import io.sluice.config.HostPort;
import io.sluice.testing.TestPorts;
import io.sluice.testing.TestSecrets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** Hazelcast members on loopback for tests: free ports, and a cluster name no other test shares. */
final class TestClusters {

    private static final String LOOPBACK = "127.0.0.1";

    private TestClusters() {
    }

    /** A cluster name of the test class, unique per run, so that members of different tests never join. */
    static String clusterName(Class<?> testClass) {
        return "sluice-" + testClass.getSimpleName() + "-" + UUID.randomUUID();
    }

    /** One member on its own; decisions may wait long for it, so a slow machine never looks like a fallback. */
    static ClusterConfig standalone(String name, Duration leaseTtl) {
        HostPort bind = new HostPort(LOOPBACK, TestPorts.freeOnLoopback());
        return new ClusterConfig(Mode.EMBEDDED, name, bind, Discovery.NONE, List.of(), "", OnUnavailable.LOCAL_FALLBACK,
                Duration.ofSeconds(5), 1, leaseTtl);
    }

    /** One member on its own whose bucket map holds at most {@code maxBuckets}, the bound being the member's. */
    static ClusterNode boundedMember(Class<?> testClass, int maxBuckets) {
        return ClusterNode.start(standalone(clusterName(testClass), Duration.ofSeconds(30)).withMaxBuckets(maxBuckets));
    }

    /** One member that also accepts Hazelcast clients, on a port of their own. */
    static ClusterConfig acceptingClients(String name, Duration leaseTtl) {
        HostPort bind = new HostPort(LOOPBACK, TestPorts.freeOnLoopback());
        return new ClusterConfig(Mode.EMBEDDED, name, bind, Discovery.NONE, List.of(), "", OnUnavailable.LOCAL_FALLBACK,
                Duration.ofSeconds(5), 1, leaseTtl, Optional.empty(), Optional.of(TestSecrets.CLUSTER),
                Optional.of(TestPorts.freeOnLoopback()));
    }

    /** The configs of {@code count} members that find each other by a tcp-ip member list. */
    static List<ClusterConfig> members(String name, int count, Duration decisionTimeout, Duration leaseTtl) {
        List<HostPort> addresses = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            addresses.add(new HostPort(LOOPBACK, TestPorts.freeOnLoopback()));
        }
        List<ClusterConfig> configs = new ArrayList<>();
        for (HostPort bind : addresses) {
            configs.add(new ClusterConfig(Mode.EMBEDDED, name, bind, Discovery.TCP_IP, addresses, "",
                    OnUnavailable.LOCAL_FALLBACK, decisionTimeout, 1, leaseTtl, Optional.empty(),
                    Optional.of(TestSecrets.CLUSTER), Optional.empty()));
        }
        return configs;
    }

    /**
     * Waits until every store's member sees {@code members} members and the cluster is safe: no partition still
     * migrating after the joins, every backup in place. A request to a migrating partition waits for its migration,
     * which on a busy machine can outlast a decision's deadline and start a fallback episode the test did not ask for.
     */
    static void awaitFormed(List<LimitStore> stores, int members) {
        await().atMost(Duration.ofSeconds(30))
                .until(() -> stores.stream().allMatch(store -> store.node().orElseThrow().memberCount() == members));
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(100)).until(() -> stores.stream()
                .allMatch(store -> store.node().orElseThrow().hazelcast().getPartitionService().isClusterSafe()));
    }
}
