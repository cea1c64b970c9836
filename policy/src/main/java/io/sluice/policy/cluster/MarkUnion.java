package io.sluice.policy.cluster;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.ExtendedMapEntry;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.datasketches.filters.bloomfilter.BloomFilter;
import org.apache.datasketches.filters.bloomfilter.BloomFilterBuilder;
import org.apache.datasketches.memory.Memory;
import org.apache.datasketches.memory.WritableMemory;

/**
 * ORs the marks one node added since its last turn into the cluster's copy of their generation, on the key's owner:
 * the keys go over the wire (8 bytes each), not the node's whole filter. The entry lives until its generation
 * expires. The backup runs the same processor on the same inputs, so owner and backup hold the same bits.
 */
final class MarkUnion implements EntryProcessor<Long, MarkGeneration, Long>, IdentifiedDataSerializable {

    private long[] keys;
    private long numBits;
    private short numHashes;
    private long seed;
    private long ttlMillis;

    /** For deserialization. */
    MarkUnion() {
    }

    /** @param ttlMillis how long the generation is still remembered */
    MarkUnion(long[] keys, BloomFilter shape, long ttlMillis) {
        this.keys = keys;
        this.numBits = shape.getCapacity();
        this.numHashes = shape.getNumHashes();
        this.seed = shape.getSeed();
        this.ttlMillis = ttlMillis;
    }

    /** Answers the version of the generation after the union. */
    @Override
    public Long process(Map.Entry<Long, MarkGeneration> entry) {
        MarkGeneration stored = entry.getValue();
        BloomFilter filter = null;
        if (stored != null) {
            BloomFilter found = BloomFilter.heapify(Memory.wrap(stored.filter()));
            // A filter of another shape (a node configured otherwise) is replaced rather than mixed with.
            if (found.getCapacity() == numBits && found.getNumHashes() == numHashes && found.getSeed() == seed) {
                filter = BloomFilter.writableWrap(WritableMemory.writableWrap(stored.filter()));
            }
        }
        byte[] bytes;
        if (filter == null) {
            // Built on the heap and written after the keys: an empty filter writes without its bits.
            BloomFilter fresh = BloomFilterBuilder.createBySize(numBits, numHashes, seed);
            for (long key : keys) {
                fresh.update(key);
            }
            bytes = fresh.toByteArray();
        } else {
            for (long key : keys) {
                filter.update(key);
            }
            bytes = stored.filter();
        }
        long version = stored == null ? 1 : stored.version() + 1;
        ((ExtendedMapEntry<Long, MarkGeneration>) entry).setValue(new MarkGeneration(version, bytes),
                Math.max(1, ttlMillis), TimeUnit.MILLISECONDS);
        return version;
    }

    @Override
    public int getFactoryId() {
        return ClusterSerialization.FACTORY_ID;
    }

    @Override
    public int getClassId() {
        return ClusterSerialization.MARK_UNION;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
        out.writeLongArray(keys);
        out.writeLong(numBits);
        out.writeShort(numHashes);
        out.writeLong(seed);
        out.writeLong(ttlMillis);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
        keys = in.readLongArray();
        numBits = in.readLong();
        numHashes = in.readShort();
        seed = in.readLong();
        ttlMillis = in.readLong();
    }
}
