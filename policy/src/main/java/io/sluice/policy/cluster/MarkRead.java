package io.sluice.policy.cluster;

import com.hazelcast.core.ReadOnly;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import java.io.IOException;
import java.util.Map;

/**
 * Reads the cluster's copies of the live generations back, each only if its version is not the one the node has:
 * a generation nobody added to since is not sent again.
 */
final class MarkRead implements EntryProcessor<Long, MarkGeneration, MarkGeneration>, ReadOnly,
        IdentifiedDataSerializable {

    // The generations the node asks for, and the version it has of each (0 for none), in the same order.
    private long[] generations;
    private long[] versions;

    /** For deserialization. */
    MarkRead() {
    }

    MarkRead(long[] generations, long[] versions) {
        this.generations = generations;
        this.versions = versions;
    }

    @Override
    public MarkGeneration process(Map.Entry<Long, MarkGeneration> entry) {
        MarkGeneration stored = entry.getValue();
        if (stored == null) {
            return null;
        }
        for (int i = 0; i < generations.length; i++) {
            if (generations[i] == entry.getKey()) {
                return stored.version() == versions[i] ? null : stored;
            }
        }
        return stored;
    }

    @Override
    public EntryProcessor<Long, MarkGeneration, MarkGeneration> getBackupProcessor() {
        return null;
    }

    @Override
    public int getFactoryId() {
        return ClusterSerialization.FACTORY_ID;
    }

    @Override
    public int getClassId() {
        return ClusterSerialization.MARK_READ;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
        out.writeLongArray(generations);
        out.writeLongArray(versions);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
        generations = in.readLongArray();
        versions = in.readLongArray();
    }
}
