package io.sluice.policy.cluster;

import com.hazelcast.nio.serialization.DataSerializableFactory;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;

/** Registers the lease types with Hazelcast's serialization; members of a client-mode cluster need it too. */
public final class LeaseSerialization implements DataSerializableFactory {

    public static final int FACTORY_ID = 0x5100;
    static final int HOLDERS = 1;
    static final int UPDATE = 2;

    @Override
    public IdentifiedDataSerializable create(int classId) {
        return switch (classId) {
            case HOLDERS -> new LeaseHolders();
            case UPDATE -> new LeaseUpdate();
            default -> throw new IllegalArgumentException("classId: " + classId + " (expected: 1 or 2)");
        };
    }
}
