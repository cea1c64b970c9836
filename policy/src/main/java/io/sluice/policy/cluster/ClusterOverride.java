package io.sluice.policy.cluster;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import io.sluice.config.Cidr;
import io.sluice.config.OverrideSpec;
import io.sluice.config.RuleMatch;
import io.sluice.policy.override.LimitOverride;
import java.io.IOException;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;

/** An override as the cluster keeps it: its fields as strings and numbers, so that members need no config classes. */
final class ClusterOverride implements IdentifiedDataSerializable {

    private LimitOverride override;

    /** For deserialization. */
    ClusterOverride() {
    }

    ClusterOverride(LimitOverride override) {
        this.override = override;
    }

    LimitOverride override() {
        return override;
    }

    @Override
    public int getFactoryId() {
        return ClusterSerialization.FACTORY_ID;
    }

    @Override
    public int getClassId() {
        return ClusterSerialization.OVERRIDE;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
        OverrideSpec spec = override.spec();
        RuleMatch match = spec.match();
        out.writeString(override.id());
        out.writeString(spec.rule());
        out.writeStringArray(match.clientNets().stream().map(Cidr::toString).toArray(String[]::new));
        out.writeStringArray(match.helos().toArray(String[]::new));
        out.writeStringArray(match.senderDomains().toArray(String[]::new));
        out.writeStringArray(match.recipientDomains().toArray(String[]::new));
        out.writeStringArray(match.destinationDomains().toArray(String[]::new));
        out.writeDouble(spec.factor());
        out.writeLong(spec.expires().toEpochMilli());
        out.writeString(spec.reason());
        out.writeString(override.createdBy());
        out.writeLong(override.created().toEpochMilli());
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
        String id = in.readString();
        String rule = in.readString();
        RuleMatch match = new RuleMatch(strings(in).stream().map(Cidr::parse).toList(), strings(in), strings(in),
                strings(in), strings(in));
        OverrideSpec spec = new OverrideSpec(rule, match, in.readDouble(), Instant.ofEpochMilli(in.readLong()),
                in.readString());
        override = new LimitOverride(id, spec, in.readString(), Instant.ofEpochMilli(in.readLong()));
    }

    private static List<String> strings(ObjectDataInput in) throws IOException {
        return Arrays.asList(in.readStringArray());
    }
}
