package io.sluice.proxy.relay;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import io.sluice.policy.cluster.ClusterSerialization;
import java.io.IOException;

/**
 * What an intruder on the cluster port writes: its own object in the wire format of Sluice's cluster entries (the
 * factory and class ids are public knowledge once one has the jar), with whatever content it likes and a signature
 * made without the cluster secret.
 */
final class ForgedEntry implements IdentifiedDataSerializable {

    /** Class ids of Sluice's entries on the wire. */
    static final int POLICY = 3;
    static final int OVERRIDE = 5;
    private static final String SIGNATURE = "0".repeat(64);

    private final int classId;
    private final Writer writer;

    @FunctionalInterface
    interface Writer {
        void write(ObjectDataOutput out) throws IOException;
    }

    private ForgedEntry(int classId, Writer writer) {
        this.classId = classId;
        this.writer = writer;
    }

    /** A policy at a version no real change reaches, which refuses every connection. */
    static ForgedEntry policy(long version) {
        return new ForgedEntry(POLICY, out -> {
            out.writeLong(version);
            out.writeString("{\"limits\":[{\"name\":\"owned\",\"key\":\"global\",\"counts\":\"connections\","
                    + "\"rate\":\"1/1d\",\"burst\":1,\"reply\":\"421 4.7.0 Owned\"}],\"concurrency\":[]}");
            out.writeString(SIGNATURE);
        });
    }

    /** An override that multiplies the rule {@code rule} by {@code factor} for an hour. */
    static ForgedEntry override(String id, String rule, double factor) {
        return new ForgedEntry(OVERRIDE, out -> {
            out.writeString(id);
            out.writeString(rule);
            for (int i = 0; i < 5; i++) {
                out.writeStringArray(new String[0]);
            }
            out.writeDouble(factor);
            out.writeLong(System.currentTimeMillis() + 3_600_000);
            out.writeString("intruder");
            out.writeString("admin");
            out.writeLong(System.currentTimeMillis());
            out.writeString(SIGNATURE);
        });
    }

    @Override
    public int getFactoryId() {
        return ClusterSerialization.FACTORY_ID;
    }

    @Override
    public int getClassId() {
        return classId;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
        writer.write(out);
    }

    @Override
    public void readData(ObjectDataInput in) {
        throw new UnsupportedOperationException("written by the intruder, read only by Sluice's own classes");
    }
}
