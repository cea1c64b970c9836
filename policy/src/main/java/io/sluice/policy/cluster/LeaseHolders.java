package io.sluice.policy.cluster;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * The session slots of one concurrency key, by node: how many each node has reserved (what counts against the
 * maximum), how many of those its sessions held when it last said, and until when its last request keeps them.
 * Slots of a node past its expiry are not counted, so a node that died gives its slots back.
 */
final class LeaseHolders implements IdentifiedDataSerializable {

    private static final int USED = 0;
    private static final int RESERVED = 1;
    private static final int EXPIRES = 2;

    private final Map<String, long[]> byNode = new HashMap<>();

    /** Slots reserved by nodes whose leases have not expired at {@code nowMillis}; drops the expired ones. */
    long live(long nowMillis) {
        byNode.values().removeIf(held -> held[EXPIRES] <= nowMillis || (held[RESERVED] <= 0 && held[USED] <= 0));
        long total = 0;
        for (long[] held : byNode.values()) {
            total += held[RESERVED];
        }
        return total;
    }

    /**
     * Sessions holding a slot at nodes whose leases have not expired at {@code nowMillis}, each as its node last
     * said, except {@code node}'s, which is {@code nodeUsed} if that node's lease is live and nothing otherwise.
     */
    long used(long nowMillis, String node, long nodeUsed) {
        long total = 0;
        for (Map.Entry<String, long[]> entry : byNode.entrySet()) {
            long[] held = entry.getValue();
            if (held[EXPIRES] > nowMillis) {
                total += entry.getKey().equals(node) ? nodeUsed : held[USED];
            }
        }
        return total;
    }

    void set(String node, long used, long reserved, long expiresAtMillis) {
        if (used <= 0 && reserved <= 0) {
            byNode.remove(node);
        } else {
            byNode.put(node, new long[] {Math.max(0, used), Math.max(0, reserved), expiresAtMillis});
        }
    }

    long reservedBy(String node) {
        long[] held = byNode.get(node);
        return held == null ? 0 : held[RESERVED];
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
            for (long value : entry.getValue()) {
                out.writeLong(value);
            }
        }
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
        byNode.clear();
        int size = in.readInt();
        for (int i = 0; i < size; i++) {
            byNode.put(in.readString(), new long[] {in.readLong(), in.readLong(), in.readLong()});
        }
    }
}
