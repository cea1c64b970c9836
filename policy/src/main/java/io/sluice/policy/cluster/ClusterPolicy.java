package io.sluice.policy.cluster;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import java.io.IOException;
import java.util.Map;

/**
 * The policy as the cluster keeps it: its version and its document (JSON, as {@code PolicyDocument} writes it), so
 * that members need no policy classes to hold it.
 */
final class ClusterPolicy implements IdentifiedDataSerializable {

    private long version;
    private String document;

    /** For deserialization. */
    ClusterPolicy() {
    }

    ClusterPolicy(long version, String document) {
        this.version = version;
        this.document = document;
    }

    long version() {
        return version;
    }

    String document() {
        return document;
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
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
        version = in.readLong();
        document = in.readString();
    }

    /**
     * The compare-and-set of a policy change, run on the key's owner: the new document goes in as the next version
     * only if the version in force is still the one the change was based on. Answers the new version, or 0.
     */
    static final class Replace implements EntryProcessor<String, ClusterPolicy, Long>, IdentifiedDataSerializable {

        private long expectedVersion;
        private String document;

        /** For deserialization. */
        Replace() {
        }

        Replace(long expectedVersion, String document) {
            this.expectedVersion = expectedVersion;
            this.document = document;
        }

        @Override
        public Long process(Map.Entry<String, ClusterPolicy> entry) {
            ClusterPolicy current = entry.getValue();
            if (current == null || current.version() != expectedVersion) {
                return 0L;
            }
            entry.setValue(new ClusterPolicy(expectedVersion + 1, document));
            return expectedVersion + 1;
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
            out.writeLong(expectedVersion);
            out.writeString(document);
        }

        @Override
        public void readData(ObjectDataInput in) throws IOException {
            expectedVersion = in.readLong();
            document = in.readString();
        }
    }
}
