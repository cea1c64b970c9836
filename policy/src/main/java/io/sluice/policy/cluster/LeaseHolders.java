package io.sluice.policy.cluster;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * The session slots of one concurrency key, by node: how many each node holds and until when its last renewal
 * keeps them. Slots of a node past its expiry are not counted, so a node that died gives its slots back.
 */
final class LeaseHolders implements IdentifiedDataSerializable {

    private final Map<String, long[]> byNode = new HashMap<>();

    /** Slots held by nodes whose leases have not expired at {@code nowMillis}; drops the expired ones. */
    int live(long nowMillis) {
        byNode.values().removeIf(held -> held[1] <= nowMillis || held[0] <= 0);
        long total = 0;
        for (long[] held : byNode.values()) {
            total += held[0];
        }
        return (int) Math.min(Integer.MAX_VALUE, total);
    }

    void set(String node, long count, long expiresAtMillis) {
        if (count <= 0) {
            byNode.remove(node);
        } else {
            byNode.put(node, new long[] {count, expiresAtMillis});
        }
    }

    long heldBy(String node) {
        long[] held = byNode.get(node);
        return held == null ? 0 : held[0];
    }

    boolean isEmpty() {
        return byNode.isEmpty();
    }

    @Override
    public int getFactoryId() {
        return ClusterSerialization.FACTORY_ID;
    }

    @Override
    public int getClassId() {
        return ClusterSerialization.HOLDERS;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
        out.writeInt(byNode.size());
        for (Map.Entry<String, long[]> entry : byNode.entrySet()) {
            out.writeString(entry.getKey());
            out.writeLong(entry.getValue()[0]);
            out.writeLong(entry.getValue()[1]);
        }
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
        byNode.clear();
        int size = in.readInt();
        for (int i = 0; i < size; i++) {
            byNode.put(in.readString(), new long[] {in.readLong(), in.readLong()});
        }
    }
}
