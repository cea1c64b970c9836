package io.sluice.policy.cluster;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.ExtendedMapEntry;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One change to a key's {@link LeaseHolders}, run atomically on the key's owner member: take a slot if one is
 * free, give one back, or restate how many a node holds (its periodic renewal, which also repairs drift).
 * The same processor runs on the backup, from the same inputs, so owner and backup agree.
 */
final class LeaseUpdate implements EntryProcessor<String, LeaseHolders, Boolean>, IdentifiedDataSerializable {

    enum Kind { ACQUIRE, RELEASE, RENEW }

    private Kind kind;
    private String node;
    // ACQUIRE: the maximum; RENEW: the node's count; RELEASE: unused.
    private long amount;
    private long nowMillis;
    private long ttlMillis;

    /** For deserialization. */
    LeaseUpdate() {
    }

    LeaseUpdate(Kind kind, String node, long amount, long nowMillis, long ttlMillis) {
        this.kind = kind;
        this.node = node;
        this.amount = amount;
        this.nowMillis = nowMillis;
        this.ttlMillis = ttlMillis;
    }

    @Override
    public Boolean process(Map.Entry<String, LeaseHolders> entry) {
        LeaseHolders holders = entry.getValue() == null ? new LeaseHolders() : entry.getValue();
        int live = holders.live(nowMillis);
        long mine = holders.heldBy(node);
        boolean granted = switch (kind) {
            case ACQUIRE -> {
                if (live >= amount) {
                    yield false;
                }
                holders.set(node, mine + 1, nowMillis + ttlMillis);
                yield true;
            }
            case RELEASE -> {
                holders.set(node, mine - 1, nowMillis + ttlMillis);
                yield true;
            }
            case RENEW -> {
                holders.set(node, amount, nowMillis + ttlMillis);
                yield true;
            }
        };
        if (holders.isEmpty()) {
            entry.setValue(null);
        } else {
            // The entry outlives its last writer by one lease time, so keys of dead nodes do not pile up.
            ((ExtendedMapEntry<String, LeaseHolders>) entry).setValue(holders, ttlMillis, TimeUnit.MILLISECONDS);
        }
        return granted;
    }

    @Override
    public int getFactoryId() {
        return ClusterSerialization.FACTORY_ID;
    }

    @Override
    public int getClassId() {
        return ClusterSerialization.UPDATE;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
        out.writeByte(kind.ordinal());
        out.writeString(node);
        out.writeLong(amount);
        out.writeLong(nowMillis);
        out.writeLong(ttlMillis);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
        kind = Kind.values()[in.readByte()];
        node = in.readString();
        amount = in.readLong();
        nowMillis = in.readLong();
        ttlMillis = in.readLong();
    }
}
