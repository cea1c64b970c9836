package io.sluice.policy.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.EvictionConfig;
import com.hazelcast.config.EvictionPolicy;
import com.hazelcast.config.MaxSizePolicy;
import com.hazelcast.spi.properties.ClusterProperty;
import com.hazelcast.spi.properties.HazelcastProperties;

/**
 * The size bound of the cluster's bucket map, so that keys an attacker chooses (senders, HELO names, recipients)
 * cannot grow it without end.
 *
 * <p>Hazelcast checks a map's size partition by partition, whatever the policy: {@code PER_NODE} divides the bound by
 * the partition count and multiplies it by the member count, so a member that owns more than its even share of
 * partitions goes over it. Here the bound is set per partition instead, at {@code maxBuckets / partitions} entries. A
 * member holds at most one replica (primary or backup) of each partition, so it never holds more than
 * {@code maxBuckets} buckets, however many members there are and however the partitions are spread; the whole cluster
 * keeps at most {@code maxBuckets} keys. Eviction samples a few entries and drops the least recently used.
 */
final class BucketMapBound {

    private BucketMapBound() {}

    static EvictionConfig eviction(Config member, int maxBuckets) {
        int partitions = new HazelcastProperties(member).getInteger(ClusterProperty.PARTITION_COUNT);
        return new EvictionConfig().setEvictionPolicy(EvictionPolicy.LRU)
                .setMaxSizePolicy(MaxSizePolicy.PER_PARTITION)
                .setSize(Math.max(1, maxBuckets / partitions));
    }
}
