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
 * One change to a node's reservation in a key's {@link LeaseHolders}, run atomically on the key's owner member:
 * grow it by the slots its waiting sessions need and a spare, if there is room, or restate it (a renewal, a give
 * back, which also repair drift). The same processor runs on the backup, from the same inputs, so owner and backup
 * agree.
 *
 * <p>The answer is {@link Answer}'s four numbers.
 */
final class LeaseUpdate implements EntryProcessor<String, LeaseHolders, long[]>, IdentifiedDataSerializable {

    enum Kind { GROW, SET }

    /** Where the numbers of an answer are. */
    static final class Answer {
        /** The node's reservation after the update. */
        static final int RESERVED = 0;
        /** Slots granted to the waiting sessions; zero is a refusal. */
        static final int GRANTED = 1;
        /** Slots added to the reservation: those granted and the spare. */
        static final int ADDED = 2;
        /** Slots left under the maximum after the update, across the cluster. */
        static final int FREE = 3;

        private Answer() {
        }
    }

    private Kind kind;
    private String node;
    // The node's sessions holding a slot when it sent this.
    private long used;
    // GROW: slots the waiting sessions need; SET: the node's reservation.
    private long amount;
    private long max;
    // GROW: the most spare the node wants, and the members the room is shared among.
    private long spareCap;
    private int members;
    private long nowMillis;
    private long ttlMillis;

    /** For deserialization. */
    LeaseUpdate() {
    }

    private LeaseUpdate(Kind kind, String node, long used, long amount, long max, long spareCap, int members,
                        long nowMillis, long ttlMillis) {
        this.kind = kind;
        this.node = node;
        this.used = used;
        this.amount = amount;
        this.max = max;
        this.spareCap = spareCap;
        this.members = members;
        this.nowMillis = nowMillis;
        this.ttlMillis = ttlMillis;
    }

    static LeaseUpdate grow(String node, long used, long need, long max, long spareCap, int members, long nowMillis,
                            long ttlMillis) {
        return new LeaseUpdate(Kind.GROW, node, used, need, max, spareCap, Math.max(1, members), nowMillis, ttlMillis);
    }

    static LeaseUpdate set(String node, long used, long reserved, long max, long nowMillis, long ttlMillis) {
        return new LeaseUpdate(Kind.SET, node, used, reserved, max, 0, 1, nowMillis, ttlMillis);
    }

    @Override
    public long[] process(Map.Entry<String, LeaseHolders> entry) {
        LeaseHolders holders = entry.getValue() == null ? new LeaseHolders() : entry.getValue();
        long[] answer = apply(holders);
        if (holders.isEmpty()) {
            entry.setValue(null);
        } else {
            // The entry outlives its last writer by one lease time, so keys of dead nodes do not pile up.
            ((ExtendedMapEntry<String, LeaseHolders>) entry).setValue(holders, ttlMillis, TimeUnit.MILLISECONDS);
        }
        return answer;
    }

    /** The update on {@code holders}, in place. */
    long[] apply(LeaseHolders holders) {
        long live = holders.live(nowMillis);
        long mine = holders.reservedBy(node);
        long expires = nowMillis + ttlMillis;
        if (kind == Kind.SET) {
            holders.set(node, used, amount, expires);
            return new long[] {amount, 0, 0, max - (live - mine + amount)};
        }
        // A node whose reservation expired (an episode longer than the lease) still has its sessions: count them.
        long kept = Math.max(mine, used);
        long free = max - (live - mine + kept);
        long granted = free <= 0 ? 0 : Math.min(amount, free);
        long added = granted + spare(free - granted, spareCap, members);
        holders.set(node, used + granted, kept + added, expires);
        return new long[] {kept + added, granted, added, free - added};
    }

    /**
     * The spare slots a node gets on top of those it asked for: at most {@code cap}, and at most its share of half the
     * room left, so every member can take a spare as large and a key near its maximum gets none.
     */
    static long spare(long room, long cap, int members) {
        return room <= 0 ? 0 : Math.min(cap, room / (2L * Math.max(1, members)));
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
        out.writeLong(used);
        out.writeLong(amount);
        out.writeLong(max);
        out.writeLong(spareCap);
        out.writeInt(members);
        out.writeLong(nowMillis);
        out.writeLong(ttlMillis);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
        kind = Kind.values()[in.readByte()];
        node = in.readString();
        used = in.readLong();
        amount = in.readLong();
        max = in.readLong();
        spareCap = in.readLong();
        members = in.readInt();
        nowMillis = in.readLong();
        ttlMillis = in.readLong();
    }
}
