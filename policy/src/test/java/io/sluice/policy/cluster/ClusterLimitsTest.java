package io.sluice.policy.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.hazelcast.cluster.Member;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.config.BucketSync;
import io.sluice.config.ClusterConfig;
import io.sluice.policy.PolicyMeters;
import io.sluice.policy.ratelimit.BucketSpec;
import io.sluice.policy.ratelimit.Lease;
import io.sluice.policy.ratelimit.Probe;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Three Sluice nodes, each an embedded Hazelcast member on loopback, sharing buckets and session counts; then one
 * of them dies. The last test kills a member, so the order is fixed.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterLimitsTest {

    private static final Duration LEASE_TTL = Duration.ofSeconds(2);
    // Generous, so that a slow machine is not mistaken for an unavailable cluster: a fallback would answer from
    // local shares and this node's reservations, and the counts below would measure something else.
    private static final Duration DECISION_TIMEOUT = Duration.ofSeconds(5);
    // No refill to speak of while the test runs.
    private static final BucketSpec FIFTY_AN_HOUR = new BucketSpec(50, 1, Duration.ofHours(1), BucketSync.EXACT);

    private static final List<LimitStore> stores = new ArrayList<>();
    private static final List<String> binds = new ArrayList<>();
    private static final List<SimpleMeterRegistry> registries = new ArrayList<>();

    @BeforeAll
    static void startCluster() {
        List<ClusterConfig> configs = TestClusters.members(TestClusters.clusterName(ClusterLimitsTest.class), 3,
                DECISION_TIMEOUT, LEASE_TTL);
        for (ClusterConfig config : configs) {
            binds.add(config.bind().toString());
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            registries.add(registry);
            stores.add(LimitStore.open(config, registry));
        }
        TestClusters.awaitFormed(stores, 3);
    }

    @AfterAll
    static void stopCluster() {
        stores.forEach(LimitStore::close);
    }

    @Test
    @Order(0)
    void everyNodeSeesEveryMembersAddress() {
        for (LimitStore store : stores) {
            assertThat(store.node().orElseThrow().memberAddresses()).containsExactlyInAnyOrderElementsOf(binds);
        }
    }

    @Test
    @Order(1)
    void bucketIsSharedByEveryNode() {
        List<CompletableFuture<Probe>> answers = new ArrayList<>();
        for (int i = 0; i < 90; i++) {
            answers.add(stores.get(i % 3).limiter().tryConsume("shared", FIFTY_AN_HOUR, 1));
        }

        long admitted = answers.stream().map(ClusterLimitsTest::get).filter(Probe::consumed).count();

        assertThat(admitted).isEqualTo(50);
        for (LimitStore store : stores) {
            assertThat(get(store.limiter().available("shared", FIFTY_AN_HOUR))).isZero();
        }
        assertNoFallback();
    }

    @Test
    @Order(2)
    void sessionsAreCountedAcrossNodes() {
        List<Lease> held = new ArrayList<>();
        for (LimitStore store : stores) {
            held.add(get(store.leases().acquire("sessions", 3)).orElseThrow());
        }

        for (LimitStore store : stores) {
            assertThat(get(store.leases().acquire("sessions", 3))).isEmpty();
            assertThat(get(store.leases().held("sessions"))).isEqualTo(3);
        }

        held.get(1).release();
        await().atMost(Duration.ofSeconds(10)).until(() -> get(stores.get(0).leases().held("sessions")) == 2);
        assertThat(get(stores.get(2).leases().acquire("sessions", 3))).isPresent();
        assertNoFallback();
    }

    @Test
    @Order(3)
    void killedMembersBucketsSurviveAndItsSessionsExpire() {
        String bucket = "survivor";
        LimitStore victim = ownerOf(bucket);
        List<LimitStore> survivors = stores.stream().filter(store -> store != victim).toList();
        for (int i = 0; i < 20; i++) {
            assertThat(get(stores.get(i % 3).limiter().tryConsume(bucket, FIFTY_AN_HOUR, 1)).consumed()).isTrue();
        }
        assertThat(get(victim.leases().acquire("victim-sessions", 1))).isPresent();
        // The victim's renewals keep its slot past the lease time while it lives.
        await().during(LEASE_TTL.plusSeconds(1)).atMost(LEASE_TTL.plusSeconds(5))
                .until(() -> get(survivors.get(0).leases().held("victim-sessions")) == 1);
        assertThat(get(survivors.get(0).leases().acquire("victim-sessions", 1))).isEmpty();

        victim.node().orElseThrow().kill();
        await().atMost(Duration.ofSeconds(30))
                .until(() -> survivors.stream().allMatch(store -> store.node().orElseThrow().memberCount() == 2));

        List<CompletableFuture<Probe>> answers = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            answers.add(survivors.get(i % 2).limiter().tryConsume(bucket, FIFTY_AN_HOUR, 1));
        }
        long admitted = answers.stream().map(ClusterLimitsTest::get).filter(Probe::consumed).count();
        // The owner's backup is asynchronous: the last few requests before the kill may be lost with it.
        assertThat(admitted).as("what the bucket had left").isBetween(30L, 35L);

        await().atMost(LEASE_TTL.plusSeconds(15))
                .until(() -> get(survivors.get(0).leases().held("victim-sessions")) == 0);
        assertThat(get(survivors.get(1).leases().acquire("victim-sessions", 1))).isPresent();

        for (LimitStore survivor : survivors) {
            assertThat(survivor.health().orElseThrow().episodes()).as("answered by the cluster throughout").isZero();
            assertThat(registries.get(stores.indexOf(survivor)).get(PolicyMeters.CLUSTER_MEMBERS.meterName())
                    .gauge().value()).isEqualTo(2);
        }
    }

    private static LimitStore ownerOf(String key) {
        Member owner = stores.get(0).node().orElseThrow().hazelcast().getPartitionService().getPartition(key)
                .getOwner();
        return stores.stream()
                .filter(store -> store.node().orElseThrow().hazelcast().getCluster().getLocalMember().equals(owner))
                .findFirst().orElseThrow();
    }

    private static void assertNoFallback() {
        for (LimitStore store : stores) {
            ClusterHealth health = store.health().orElseThrow();
            assertThat(health.degraded()).isFalse();
            assertThat(health.episodes()).isZero();
        }
    }

    private static <T> T get(CompletableFuture<T> answer) {
        try {
            return answer.get(DECISION_TIMEOUT.toSeconds() * 2, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("no answer: " + e, e);
        }
    }
}
