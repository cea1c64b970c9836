package io.sluice.policy.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.config.BucketSync;
import io.sluice.config.ClusterConfig;
import io.sluice.config.HostPort;
import io.sluice.config.ClusterConfig.Discovery;
import io.sluice.config.ClusterConfig.Mode;
import io.sluice.config.ClusterConfig.OnUnavailable;
import io.sluice.policy.ratelimit.BucketSpec;
import io.sluice.policy.ratelimit.Lease;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import io.sluice.testing.TestSecrets;
import org.junit.jupiter.api.Test;

/** A node in client mode shares buckets and session counts with the members of an existing cluster. */
class ClientModeTest {

    private static final BucketSpec TEN_PER_HOUR = new BucketSpec(10, 10, Duration.ofHours(1), BucketSync.EXACT);

    @Test
    void aClientSharesBucketsAndLeasesWithTheMembers() throws Exception {
        String name = TestClusters.clusterName(ClientModeTest.class);
        ClusterConfig memberConfig = TestClusters.acceptingClients(name, Duration.ofSeconds(30));
        HostPort clientEndpoint = new HostPort(memberConfig.bind().host(), memberConfig.clientPort().orElseThrow());
        ClusterConfig clientConfig = new ClusterConfig(Mode.CLIENT, name, memberConfig.bind(), Discovery.NONE,
                List.of(clientEndpoint), "", OnUnavailable.LOCAL_FALLBACK, Duration.ofSeconds(5), 1,
                Duration.ofSeconds(30), Optional.empty(), Optional.of(TestSecrets.CLUSTER), Optional.empty());
        try (LimitStore member = LimitStore.open(memberConfig, new SimpleMeterRegistry());
             LimitStore client = LimitStore.open(clientConfig, new SimpleMeterRegistry())) {
            for (int i = 0; i < 6; i++) {
                assertThat(member.limiter().tryConsume("shared", TEN_PER_HOUR, 1).get().consumed()).isTrue();
            }
            assertThat(client.limiter().tryConsume("shared", TEN_PER_HOUR, 4).get().consumed()).isTrue();
            assertThat(client.limiter().tryConsume("shared", TEN_PER_HOUR, 1).get().consumed())
                    .as("the members took six of ten, the client four").isFalse();
            assertThat(member.limiter().tryConsume("shared", TEN_PER_HOUR, 1).get().consumed()).isFalse();

            Optional<Lease> held = client.leases().acquire("sessions", 1).get();
            assertThat(held).isPresent();
            assertThat(member.leases().acquire("sessions", 1).get()).as("the client holds the only slot").isEmpty();
            held.get().release();
            // A release is sent without waiting for its answer: the member counts it a moment later.
            await().atMost(Duration.ofSeconds(10))
                    .untilAsserted(() -> assertThat(member.leases().held("sessions").get()).isZero());
            assertThat(client.health().orElseThrow().degraded()).isFalse();
        }
    }
}
