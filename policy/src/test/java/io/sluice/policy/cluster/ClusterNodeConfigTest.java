package io.sluice.policy.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.config.Config;
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
                Optional.of(new HostPort("127.0.0.1", 15701)), ClusterConfig.DEFAULT_MAX_BUCKETS);

        Config member = ClusterNode.memberConfig(cluster);

        assertThat(member.getNetworkConfig().getPublicAddress()).isEqualTo("127.0.0.1:15701");
        assertThat(member.getNetworkConfig().getPort()).isEqualTo(5701);
        assertThat(ClusterNode.memberConfig(ClusterConfig.EMBEDDED_DEFAULT).getNetworkConfig().getPublicAddress())
                .isNull();
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
