package io.sluice.policy.cluster;

import com.hazelcast.nio.serialization.DataSerializableFactory;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;

/**
 * Creates Sluice's types for Hazelcast's serialization (leases, the cluster's policy and overrides, the marks of deferred senders); members of a client-mode
 * cluster need it too.
 */
public final class ClusterSerialization implements DataSerializableFactory {

    public static final int FACTORY_ID = 0x5100;
    static final int HOLDERS = 1;
    static final int UPDATE = 2;
    static final int POLICY = 3;
    static final int POLICY_REPLACE = 4;
    static final int OVERRIDE = 5;
    static final int MARK_GENERATION = 6;
    static final int MARK_UNION = 7;
    static final int MARK_READ = 8;

    @Override
    public IdentifiedDataSerializable create(int classId) {
        return switch (classId) {
            case HOLDERS -> new LeaseHolders();
            case UPDATE -> new LeaseUpdate();
            case POLICY -> new ClusterPolicy();
            case POLICY_REPLACE -> new ClusterPolicy.Replace();
            case OVERRIDE -> new ClusterOverride();
            case MARK_GENERATION -> new MarkGeneration();
            case MARK_UNION -> new MarkUnion();
            case MARK_READ -> new MarkRead();
            default -> throw new IllegalArgumentException("classId: " + classId + " (expected: 1 to 8)");
        };
    }
}
