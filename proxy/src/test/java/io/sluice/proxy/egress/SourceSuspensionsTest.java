package io.sluice.proxy.egress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.bucket4j.TimeMeter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.util.NetUtil;
import io.sluice.config.ClusterConfig;
import io.sluice.config.FeedbackRule;
import io.sluice.config.FeedbackRule.FeedbackAction;
import io.sluice.config.HostPort;
import io.sluice.config.PolicyConfig;
import io.sluice.policy.cluster.ClusterSuspensionStore;
import io.sluice.policy.cluster.LimitStore;
import io.sluice.policy.eval.PolicyEngine;
import io.sluice.policy.override.LocalOverrideStore;
import io.sluice.proxy.admin.AdminHttpTestAccess;
import io.sluice.proxy.smtp.SmtpReply;
import io.sluice.testing.TestPorts;
import io.sluice.testing.TestSecrets;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.UUID;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A source suspended on one node is suspended on every node, and on one that joins later; resumed, likewise. A
 * receiver's suspension for a site is in force on the other member within a second, and ends by itself everywhere.
 */
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
        List<HostPort> members = members();
        String name = "suspensions-" + UUID.randomUUID();
        Node one = node(name, members.get(0), members);
        Node two = node(name, members.get(1), members);
        awaitBoth();

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

    @Test
    void aReceiversSuspensionForASiteIsInForceOnTheOtherMemberWithinASecondAndEndsByItself() {
        List<HostPort> members = members();
        String name = "site-suspensions-" + UUID.randomUUID();
        Node one = node(name, members.get(0), members);
        Node two = node(name, members.get(1), members);
        awaitBoth();
        EgressActions onOne = actions(one);
        EgressActions onTwo = actions(two);
        EgressPool poolOnTwo = two.pools().pool("normal").orElseThrow();
        FeedbackRule rule = new FeedbackRule("yahoo-tss04", OptionalInt.of(421), null,
                Pattern.compile("\\[TSS04\\]"), FeedbackAction.SUSPEND_SOURCE, 1, Duration.ofSeconds(3));

        SmtpReply reply = SmtpReply.of(421, "4.7.0", "[TSS04] Messages from 127.0.0.10 temporarily deferred");

        long start = System.nanoTime();
        onOne.take(rule, one.pools().pool("normal").orElseThrow(),
                one.pools().pool("normal").orElseThrow().sources().get(0), "yahoo", reply.code(),
                ReceiverFeedback.text(reply));
        await("on the other member").atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(5))
                .until(() -> poolOnTwo.sources().get(0).suspendedFor("yahoo"));
        long tookMillis = (System.nanoTime() - start) / 1_000_000;

        assertThat(tookMillis).isLessThan(1000);
        assertThat(poolOnTwo.sources().get(0).suspendedFor("other")).isFalse();
        assertThat(poolOnTwo.sources().get(0).suspended()).as("for every destination").isFalse();
        assertThat(onTwo.list()).singleElement().satisfies(action -> {
            assertThat(action.source()).isEqualTo("127.0.0.10");
            assertThat(action.site()).isEqualTo("yahoo");
            assertThat(action.reason()).isEqualTo("421 4.7.0 [TSS04] Messages from 127.0.0.10 temporarily deferred");
        });
        await("expired everywhere").atMost(Duration.ofSeconds(30)).until(() ->
                !poolOnTwo.sources().get(0).suspendedFor("yahoo")
                        && !one.pools().pool("normal").orElseThrow().sources().get(0).suspendedFor("yahoo"));
        assertThat(onOne.list()).isEmpty();
        assertThat(onTwo.list()).isEmpty();
    }

    private static List<HostPort> members() {
        return List.of(new HostPort("127.0.0.1", TestPorts.freeOnLoopback()),
                new HostPort("127.0.0.1", TestPorts.freeOnLoopback()));
    }

    private void awaitBoth() {
        await().atMost(Duration.ofSeconds(60)).until(() -> stores.get(1).node().orElseThrow().memberCount() == 2);
    }

    private EgressActions actions(Node node) {
        LimitStore limits = LimitStore.local(TimeMeter.SYSTEM_NANOTIME);
        stores.add(limits);
        PolicyEngine engine = new PolicyEngine(PolicyConfig.EMPTY, limits.limiter(), limits.leases(),
                new SimpleMeterRegistry());
        return new EgressActions(AdminHttpTestAccess.EGRESS, node.suspensions(),
                new LocalOverrideStore(engine, Clock.systemUTC()), () -> PolicyConfig.EMPTY, Clock.systemUTC(),
                new SimpleMeterRegistry());
    }

    private Node node(String name, HostPort member, List<HostPort> members) {
        LimitStore store = LimitStore.open(ClusterConfig.EMBEDDED_DEFAULT.withSecret(TestSecrets.CLUSTER)
                .withMembers(ClusterConfig.Mode.EMBEDDED, member, members).withName(name), new SimpleMeterRegistry());
        stores.add(store);
        EgressPools pools = new EgressPools(AdminHttpTestAccess.EGRESS, new SimpleMeterRegistry());
        return new Node(pools, SourceSuspensions.over(new ClusterSuspensionStore(store.node().orElseThrow()), pools));
    }
}
