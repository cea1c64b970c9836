package io.sluice.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.hazelcast.map.IMap;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.util.NetUtil;
import io.sluice.config.ClusterConfig;
import io.sluice.config.ClusterSecret;
import io.sluice.config.HostPort;
import io.sluice.config.PolicyConfig;
import io.sluice.policy.cluster.ClusterNode;
import io.sluice.policy.cluster.ClusterOverrideStore;
import io.sluice.policy.cluster.ClusterPolicyStore;
import io.sluice.policy.cluster.ClusterSeal.Kind;
import io.sluice.policy.cluster.ClusterSuspensionStore;
import io.sluice.policy.cluster.LimitStore;
import io.sluice.policy.cluster.NodeDirectory;
import io.sluice.policy.eval.PolicyEngine;
import io.sluice.proxy.admin.AdminHttpTestAccess;
import io.sluice.proxy.egress.EgressPools;
import io.sluice.proxy.egress.SourceSuspensions;
import io.sluice.testing.TestPorts;
import io.sluice.testing.TestSecrets;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A rogue member: a process that joins the cluster (Hazelcast's Community Edition lets anyone with the cluster's name
 * and a route to the member port do that) but does not hold the cluster secret. Its policy, override, suspension and
 * node card are ignored by the real node, counted, and undone; the policy entry it removes is written back.
 */
class RogueMemberTest {

    private static final InetAddress SOURCE = NetUtil.createInetAddressFromIpAddressString("127.0.0.10");

    private LimitStore real;
    private ClusterNode rogue;

    @AfterEach
    void close() {
        if (rogue != null) {
            rogue.kill();
        }
        if (real != null) {
            real.close();
        }
    }

    @Test
    void whatAMemberWithoutTheSecretWritesIsIgnoredCountedAndUndone() throws Exception {
        List<HostPort> members = List.of(new HostPort("127.0.0.1", TestPorts.freeOnLoopback()),
                new HostPort("127.0.0.1", TestPorts.freeOnLoopback()));
        String name = "rogue-" + UUID.randomUUID();
        real = LimitStore.open(config(name, members.get(0), members, TestSecrets.CLUSTER), new SimpleMeterRegistry());
        ClusterNode node = real.node().orElseThrow();
        PolicyEngine engine = new PolicyEngine(PolicyConfig.EMPTY, real.limiter(), real.leases(),
                new SimpleMeterRegistry());
        ClusterPolicyStore policies = new ClusterPolicyStore(node, engine, Set.of("mx"), new SimpleMeterRegistry());
        ClusterOverrideStore overrides = new ClusterOverrideStore(node, engine, Clock.systemUTC());
        EgressPools pools = new EgressPools(AdminHttpTestAccess.EGRESS, new SimpleMeterRegistry());
        SourceSuspensions.over(new ClusterSuspensionStore(node), pools);
        NodeDirectory directory = NodeDirectory.in(node, () -> Map.of("phase", "serving"));

        rogue = ClusterNode.start(config(name, members.get(1), members, TestSecrets.OTHER));
        await("the rogue is a member").atMost(Duration.ofSeconds(60)).until(() -> node.memberCount() == 2);
        IMap<String, Object> policyMap = rogue.hazelcast().getMap("sluice-policy");
        policyMap.set("policy", ForgedEntry.policy(1_000_000_000_000_000_000L));
        rogue.hazelcast().getMap("sluice-overrides").set("forged-1", ForgedEntry.override("forged-1", "per-ip", 0));
        rogue.hazelcast().getMap("sluice-suspended-sources").set("normal|127.0.0.10",
                rogue.seal().sign(Kind.SUSPENSION, "normal|127.0.0.10"));
        rogue.hazelcast().getMap("sluice-nodes").set("rogue",
                rogue.seal().sign(Kind.NODE_CARD, "rogue", "{}") + " {}");

        await("every forgery seen").atMost(Duration.ofSeconds(20)).until(() ->
                node.seal().forgedCount(Kind.POLICY) >= 1 && node.seal().forgedCount(Kind.OVERRIDE) >= 1
                        && node.seal().forgedCount(Kind.SUSPENSION) >= 1
                        && node.seal().forgedCount(Kind.NODE_CARD) >= 1);
        assertThat(policies.current().version()).as("the policy version").isEqualTo(1);
        assertThat(engine.policy().config()).isEqualTo(PolicyConfig.EMPTY);
        assertThat(overrides.list()).as("overrides in force").isEmpty();
        assertThat(engine.policy().overrides()).isEmpty();
        assertThat(pools.pool("normal").orElseThrow().sources().get(0).suspended()).as("the source").isFalse();
        assertThat(directory.nodes()).as("the node list").hasSize(1);
        await("forged override and suspension taken out of the cluster").atMost(Duration.ofSeconds(10)).until(() ->
                !rogue.hazelcast().getMap("sluice-overrides").containsKey("forged-1")
                        && !rogue.hazelcast().getMap("sluice-suspended-sources").containsKey("normal|127.0.0.10"));
        assertThat(policies.replace(1, PolicyConfig.EMPTY).get()).as("a real change after the forgery").isPresent();

        long forgedBefore = node.seal().forgedCount(Kind.POLICY);
        policyMap.delete("policy");
        await("the removed policy written back").atMost(Duration.ofSeconds(10))
                .until(() -> policyMap.containsKey("policy") && node.seal().forgedCount(Kind.POLICY) > forgedBefore);
        assertThat(policies.current().version()).isEqualTo(2);
        assertThat(policies.replace(2, PolicyConfig.EMPTY).get()).as("the next change").isPresent();
    }

    private static ClusterConfig config(String name, HostPort bind, List<HostPort> members, ClusterSecret secret) {
        return ClusterConfig.EMBEDDED_DEFAULT.withSecret(secret).withMembers(ClusterConfig.Mode.EMBEDDED, bind, members)
                .withName(name);
    }
}
