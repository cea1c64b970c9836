package io.sluice.policy.cluster;

import com.hazelcast.nio.serialization.DataSerializableFactory;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;

/**
 * Creates Sluice's types for Hazelcast's serialization (leases, the cluster's policy and overrides); members of a client-mode
 * cluster need it too.
 */
public final class ClusterSerialization implements DataSerializableFactory {

    public static final int FACTORY_ID = 0x5100;
    static final int HOLDERS = 1;
    static final int UPDATE = 2;
    static final int POLICY = 3;
    static final int POLICY_REPLACE = 4;
    static final int OVERRIDE = 5;

    @Override
    public IdentifiedDataSerializable create(int classId) {
        return switch (classId) {
            case HOLDERS -> new LeaseHolders();
            case UPDATE -> new LeaseUpdate();
            case POLICY -> new ClusterPolicy();
            case POLICY_REPLACE -> new ClusterPolicy.Replace();
            case OVERRIDE -> new ClusterOverride();
            default -> throw new IllegalArgumentException("classId: " + classId + " (expected: 1 to 5)");
        };
    }
}
