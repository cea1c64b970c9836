package io.sluice.policy.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.config.ClassFilter;
import com.hazelcast.config.Config;
import com.hazelcast.config.JavaSerializationFilterConfig;
import com.hazelcast.config.ServerSocketEndpointConfig;
import com.hazelcast.instance.EndpointQualifier;
import com.hazelcast.config.EvictionConfig;
import com.hazelcast.config.EvictionPolicy;
import com.hazelcast.config.MaxSizePolicy;
import com.hazelcast.spi.properties.ClusterProperty;
import io.sluice.config.ClusterConfig;
import io.sluice.config.ClusterConfig.Discovery;
import io.sluice.config.ClusterConfig.Mode;
import io.sluice.config.ClusterConfig.OnUnavailable;
import io.sluice.config.HostPort;
import java.time.Duration;
import java.util.List;
import io.sluice.testing.TestSecrets;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What a member's Hazelcast configuration takes from Sluice's cluster settings. */
class ClusterNodeConfigTest {

    private static final HostPort BIND = new HostPort("127.0.0.1", 5701);

    @Test
    void aPublicAddressIsWhatOtherMembersAreToldToConnectTo() {
        ClusterConfig cluster = new ClusterConfig(Mode.EMBEDDED, "sluice", BIND, Discovery.TCP_IP,
                List.of(new HostPort("127.0.0.1", 15701), new HostPort("127.0.0.1", 15702)), "",
                OnUnavailable.LOCAL_FALLBACK, Duration.ofMillis(200), 1, Duration.ofSeconds(30),
                Optional.of(new HostPort("127.0.0.1", 15701)), Optional.of(TestSecrets.CLUSTER), Optional.empty());

        Config member = ClusterNode.memberConfig(cluster);

        ServerSocketEndpointConfig members = memberEndpoint(member);
        assertThat(members.getPublicAddress()).isEqualTo("127.0.0.1:15701");
        assertThat(members.getPort()).isEqualTo(5701);
        assertThat(memberEndpoint(ClusterNode.memberConfig(ClusterConfig.EMBEDDED_DEFAULT)).getPublicAddress())
                .isNull();
    }

    @Test
    void theMemberPortSpeaksTheMemberProtocolOnlyAndClientsGetAPortOnlyWhenAskedFor() {
        Config alone = ClusterNode.memberConfig(ClusterConfig.EMBEDDED_DEFAULT);
        assertThat(alone.getAdvancedNetworkConfig().isEnabled()).isTrue();
        assertThat(alone.getAdvancedNetworkConfig().getEndpointConfigs()).containsOnlyKeys(EndpointQualifier.MEMBER);

        ClusterConfig withClients = new ClusterConfig(Mode.EMBEDDED, "sluice", BIND, Discovery.NONE, List.of(), "",
                OnUnavailable.LOCAL_FALLBACK, Duration.ofMillis(200), 1, Duration.ofSeconds(30), Optional.empty(),
                Optional.of(TestSecrets.CLUSTER), Optional.of(5702));
        Config accepting = ClusterNode.memberConfig(withClients);
        assertThat(accepting.getAdvancedNetworkConfig().getEndpointConfigs())
                .containsOnlyKeys(EndpointQualifier.MEMBER, EndpointQualifier.CLIENT);
        assertThat(((ServerSocketEndpointConfig) accepting.getAdvancedNetworkConfig().getEndpointConfigs()
                .get(EndpointQualifier.CLIENT)).getPort()).isEqualTo(5702);
    }

    @Test
    void javaSerializationAcceptsOnlyTheClassesAnExceptionTravelsIn() {
        JavaSerializationFilterConfig filter = ClusterNode.memberConfig(ClusterConfig.EMBEDDED_DEFAULT)
                .getSerializationConfig().getJavaSerializationFilterConfig();

        assertThat(filter.isDefaultsDisabled()).isTrue();
        ClassFilter allowed = filter.getWhitelist();
        assertThat(allowed.getPackages()).containsExactly("java.lang");
        assertThat(allowed.getPrefixes()).doesNotContain("java", "java.", "java.lang.");
        assertThat(allowed.getClasses()).allMatch(name -> name.startsWith("java.util."));
    }

    private static ServerSocketEndpointConfig memberEndpoint(Config member) {
        return (ServerSocketEndpointConfig) member.getAdvancedNetworkConfig().getEndpointConfigs()
                .get(EndpointQualifier.MEMBER);
    }

    @Test
    void aSplitClusterLooksForItsOtherSideWithinSeconds() {
        Config member = ClusterNode.memberConfig(ClusterConfig.EMBEDDED_DEFAULT);

        assertThat(Integer.parseInt(member.getProperty("hazelcast.merge.first.run.delay.seconds"))).isLessThan(10);
        assertThat(Integer.parseInt(member.getProperty("hazelcast.merge.next.run.delay.seconds"))).isLessThan(10);
    }

    @Test
    void theBucketMapIsBoundedPerPartitionSoThatNoMemberHoldsMoreThanMaxBuckets() {
        Config member = ClusterNode.memberConfig(ClusterConfig.EMBEDDED_DEFAULT.withMaxBuckets(100_000));
        int partitions = Integer.parseInt(ClusterProperty.PARTITION_COUNT.getDefaultValue());

        EvictionConfig eviction = member.getMapConfig(HazelcastRateLimiter.MAP).getEvictionConfig();

        assertThat(eviction.getEvictionPolicy()).isEqualTo(EvictionPolicy.LRU);
        assertThat(eviction.getMaxSizePolicy()).isEqualTo(MaxSizePolicy.PER_PARTITION);
        // A member owning every partition (the others gone) holds them all, primaries or backups.
        assertThat((long) eviction.getSize() * partitions).isBetween(99_000L, 100_000L);
    }
}
