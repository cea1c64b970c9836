package io.sluice.policy.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.hazelcast.map.IMap;
import io.sluice.policy.cluster.ClusterSeal.Kind;
import io.sluice.policy.retry.SteppedClock;
import io.sluice.policy.suspension.SuspendedSource;
import io.sluice.policy.suspension.Suspension;
import io.sluice.policy.suspension.SuspensionStore;
import io.sluice.policy.suspension.SuspensionStoreContract;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The contract on a one-member cluster, and what a writer without the cluster secret does to the map: the same map
 * a member without the secret reaches (see the proxy's RogueMemberTest for a real second member).
 */
class ClusterSuspensionStoreTest extends SuspensionStoreContract {

    private static final Duration SETTLE = Duration.ofSeconds(10);

    private static ClusterNode node;

    @BeforeAll
    static void startMember() {
        node = ClusterNode.start(TestClusters.standalone(TestClusters.clusterName(ClusterSuspensionStoreTest.class),
                Duration.ofMinutes(5)));
    }

    @AfterAll
    static void stopMember() {
        node.close();
    }

    @Override
    protected SuspensionStore newStore() {
        return new ClusterSuspensionStore(node);
    }

    @Test
    void aStoreOpenedLaterTakesTheClustersSuspensions() {
        store.set(source, true).join();

        assertThat(new ClusterSuspensionStore(node).suspended()).as("a node that joins").contains(source);
    }

    @Test
    void anUnsignedSuspensionSuspendsNothingAndIsTakenOut() {
        long forged = node.seal().forgedCount(Kind.SUSPENSION);
        IMap<String, Object> map = node.hazelcast().getMap(ClusterSuspensionStore.MAP);

        map.set(source.key(), node.seal().sign(Kind.SUSPENSION, source.key() + "x"));

        await().atMost(SETTLE).until(() -> node.seal().forgedCount(Kind.SUSPENSION) > forged
                && !map.containsKey(source.key()));
        assertThat(store.suspended()).doesNotContain(source);
        assertThat(told).isEmpty();
    }

    @Test
    void anUnsignedValueOverASuspensionIsSignedAgain() {
        store.set(source, true).join();
        long forged = node.seal().forgedCount(Kind.SUSPENSION);
        IMap<String, Object> map = node.hazelcast().getMap(ClusterSuspensionStore.MAP);

        map.set(source.key(), Boolean.FALSE);

        await().atMost(SETTLE).until(() -> node.seal().forgedCount(Kind.SUSPENSION) > forged
                && map.get(source.key()) instanceof String signature
                && node.seal().verify(signature, Kind.SUSPENSION, source.key()));
        assertThat(store.suspended()).contains(source);
        assertThat(told).containsExactly(new Change(source, true));
    }

    @Test
    void termsChangedByAForgerAreNotTakenAndTheRealOnesArePutBack() {
        SuspendedSource forSite = new SuspendedSource(source.pool(), source.source(), "yahoo");
        Suspension terms = new Suspension(System.currentTimeMillis() + 60_000, "yahoo-tss04", "421 4.7.0 [TSS04]");
        store.suspend(forSite, terms).join();
        long forged = node.seal().forgedCount(Kind.SUSPENSION);
        IMap<String, Object> map = node.hazelcast().getMap(ClusterSuspensionStore.MAP);
        String[] signed = ((String) map.get(forSite.key())).split("\n", 4);

        // The signature kept, a longer expiry written beside it.
        map.set(forSite.key(), String.join("\n", signed[0], Long.toString(terms.expiresMillis() + 3_600_000),
                signed[2], signed[3]));

        await().atMost(SETTLE).until(() -> node.seal().forgedCount(Kind.SUSPENSION) > forged
                && map.get(forSite.key()) instanceof String value && value.startsWith(signed[0] + "\n"
                + terms.expiresMillis()));
        assertThat(store.terms()).containsEntry(forSite, terms);
    }

    @Test
    void aForgedValueOverTermsThatAreOverIsRemoved() {
        // A member of its own: every store on a map answers a forged value, and one holding nothing removes it.
        try (ClusterNode alone = ClusterNode.start(TestClusters.standalone(
                TestClusters.clusterName(ClusterSuspensionStoreTest.class) + "-over", Duration.ofMinutes(5)))) {
            SteppedClock clock = new SteppedClock(System.currentTimeMillis());
            ClusterSuspensionStore held = new ClusterSuspensionStore(alone, clock);
            SuspendedSource forSite = new SuspendedSource(source.pool(), source.source(), "gmail");
            held.suspend(forSite, new Suspension(clock.millis() + 60_000, "gmail-4-7-28", "421 4.7.28")).join();
            clock.advance(Duration.ofMinutes(2));
            long forged = alone.seal().forgedCount(Kind.SUSPENSION);
            IMap<String, Object> map = alone.hazelcast().getMap(ClusterSuspensionStore.MAP);

            map.set(forSite.key(), Boolean.TRUE);

            await().atMost(SETTLE).until(() -> alone.seal().forgedCount(Kind.SUSPENSION) > forged
                    && !map.containsKey(forSite.key()));
        }
    }
}
