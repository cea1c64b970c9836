package io.sluice.proxy.egress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.util.NetUtil;
import io.sluice.config.ClusterConfig;
import io.sluice.config.HostPort;
import io.sluice.policy.cluster.ClusterSuspensionStore;
import io.sluice.policy.cluster.LimitStore;
import io.sluice.proxy.admin.AdminHttpTestAccess;
import io.sluice.testing.TestPorts;
import io.sluice.testing.TestSecrets;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A source suspended on one node is suspended on every node, and on one that joins later; resumed, likewise. */
class SourceSuspensionsTest {

    private static final InetAddress SOURCE = NetUtil.createInetAddressFromIpAddressString("127.0.0.10");

    private final List<LimitStore> stores = new ArrayList<>();

    /** One node: its pools and their suspensions. */
    private record Node(EgressPools pools, SourceSuspensions suspensions) {
        boolean suspended() {
            return pools.pool("normal").orElseThrow().sources().get(0).suspended();
        }
    }

    @AfterEach
    void close() {
        stores.forEach(LimitStore::close);
    }

    @Test
    void aSuspensionReachesEveryNodeAndANodeThatJoins() {
        List<HostPort> members = List.of(new HostPort("127.0.0.1", TestPorts.freeOnLoopback()),
                new HostPort("127.0.0.1", TestPorts.freeOnLoopback()));
        String name = "suspensions-" + UUID.randomUUID();
        Node one = node(name, members.get(0), members);
        Node two = node(name, members.get(1), members);
        await().atMost(Duration.ofSeconds(60)).until(() -> stores.get(1).node().orElseThrow().memberCount() == 2);

        assertThat(one.suspensions().set("normal", SOURCE, true).join()).isTrue();
        assertThat(one.suspended()).as("in force here at once").isTrue();
        await("on the other node").atMost(Duration.ofSeconds(10)).until(two::suspended);

        Node joining = node(name, new HostPort("127.0.0.1", TestPorts.freeOnLoopback()), members);
        assertThat(joining.suspended()).as("a node that joins takes the cluster's suspensions").isTrue();

        assertThat(two.suspensions().set("normal", SOURCE, false).join()).isTrue();
        await("resumed everywhere").atMost(Duration.ofSeconds(10))
                .until(() -> !one.suspended() && !two.suspended() && !joining.suspended());
        assertThat(one.suspensions().set("normal", NetUtil.createInetAddressFromIpAddressString("127.0.0.99"), true)
                .join()).as("not a source of the pool").isFalse();
    }

    private Node node(String name, HostPort member, List<HostPort> members) {
        LimitStore store = LimitStore.open(ClusterConfig.EMBEDDED_DEFAULT.withSecret(TestSecrets.CLUSTER)
                .withMembers(ClusterConfig.Mode.EMBEDDED, member, members).withName(name), new SimpleMeterRegistry());
        stores.add(store);
        EgressPools pools = new EgressPools(AdminHttpTestAccess.EGRESS, new SimpleMeterRegistry());
        return new Node(pools, SourceSuspensions.over(new ClusterSuspensionStore(store.node().orElseThrow()), pools));
    }
}
