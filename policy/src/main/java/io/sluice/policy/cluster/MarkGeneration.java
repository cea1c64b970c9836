package io.sluice.policy.cluster;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import java.io.IOException;

/**
 * The cluster's copy of one generation of deferred senders' marks: the union of what every node added, as the bytes
 * of a DataSketches Bloom filter, and a version that grows with each union so that nodes read it back only when it
 * changed.
 */
final class MarkGeneration implements IdentifiedDataSerializable {

    private long version;
    private byte[] filter;

    /** For deserialization. */
    MarkGeneration() {
    }

    MarkGeneration(long version, byte[] filter) {
        this.version = version;
        this.filter = filter;
    }

    long version() {
        return version;
    }

    byte[] filter() {
        return filter;
    }

    @Override
    public int getFactoryId() {
        return ClusterSerialization.FACTORY_ID;
    }

    @Override
    public int getClassId() {
        return ClusterSerialization.MARK_GENERATION;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
        out.writeLong(version);
        out.writeByteArray(filter);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
        version = in.readLong();
        filter = in.readByteArray();
    }
}
