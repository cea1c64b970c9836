package io.sluice.policy.cluster;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import io.sluice.policy.cluster.ClusterSeal.Kind;
import java.io.IOException;
import java.util.Map;
import java.util.Objects;

/**
 * The policy as the cluster keeps it: its version, its document (JSON, as {@code PolicyDocument} writes it), so that
 * members need no policy classes to hold it, and the signature of both with the cluster secret.
 */
final class ClusterPolicy implements IdentifiedDataSerializable {

    /** 15 digits: far beyond any real number of changes, and well inside what an ETag carries. */
    static final long MAX_VERSION = 999_999_999_999_999L;
    static final String KEY = "policy";

    private long version;
    private String document;
    private String signature;

    /** For deserialization. */
    ClusterPolicy() {
    }

    private ClusterPolicy(long version, String document, String signature) {
        this.version = version;
        this.document = document;
        this.signature = signature;
    }

    /** A version of the policy signed by this node. */
    static ClusterPolicy signed(ClusterSeal seal, long version, String document) {
        if (version < 1 || version > MAX_VERSION) {
            throw new IllegalArgumentException("version: " + version + " (expected: 1 to " + MAX_VERSION + ")");
        }
        return new ClusterPolicy(version, document, seal.sign(Kind.POLICY, KEY, Long.toString(version), document));
    }

    long version() {
        return version;
    }

    String document() {
        return document;
    }

    /** Whether a holder of the cluster secret wrote this, with a version in bounds. */
    boolean authentic(ClusterSeal seal) {
        return version >= 1 && version <= MAX_VERSION && document != null
                && seal.verify(signature, Kind.POLICY, KEY, Long.toString(version), document);
    }

    /** Whether this is the very entry another was read as: same version and signature. */
    boolean sameEntry(ClusterPolicy other) {
        return other != null && version == other.version && Objects.equals(signature, other.signature);
    }

    @Override
    public int getFactoryId() {
        return ClusterSerialization.FACTORY_ID;
    }

    @Override
    public int getClassId() {
        return ClusterSerialization.POLICY;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
        out.writeLong(version);
        out.writeString(document);
        out.writeString(signature);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
        version = in.readLong();
        document = in.readString();
        signature = in.readString();
    }

    /**
     * The compare-and-set of a policy change, run on the key's owner: the next entry goes in only if the entry there
     * is still the one the writer read (or there is none, if it read none). The writer has checked what it read and
     * signed what it writes; the owner needs no secret for this, so a client-mode cluster's members can run it.
     */
    static final class Replace implements EntryProcessor<String, ClusterPolicy, Boolean>, IdentifiedDataSerializable {

        private ClusterPolicy expected;
        private ClusterPolicy next;

        /** For deserialization. */
        Replace() {
        }

        /** @param expected the entry the writer read, or null when it read none */
        Replace(ClusterPolicy expected, ClusterPolicy next) {
            this.expected = expected;
            this.next = next;
        }

        @Override
        public Boolean process(Map.Entry<String, ClusterPolicy> entry) {
            ClusterPolicy current = entry.getValue();
            boolean unchanged = expected == null ? current == null : expected.sameEntry(current);
            if (unchanged) {
                entry.setValue(next);
            }
            return unchanged;
        }

        @Override
        public int getFactoryId() {
            return ClusterSerialization.FACTORY_ID;
        }

        @Override
        public int getClassId() {
            return ClusterSerialization.POLICY_REPLACE;
        }

        @Override
        public void writeData(ObjectDataOutput out) throws IOException {
            out.writeBoolean(expected != null);
            if (expected != null) {
                expected.writeData(out);
            }
            next.writeData(out);
        }

        @Override
        public void readData(ObjectDataInput in) throws IOException {
            if (in.readBoolean()) {
                expected = new ClusterPolicy();
                expected.readData(in);
            }
            next = new ClusterPolicy();
            next.readData(in);
        }
    }
}
