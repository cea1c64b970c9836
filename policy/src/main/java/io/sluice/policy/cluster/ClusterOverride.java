package io.sluice.policy.cluster;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import io.sluice.config.Cidr;
import io.sluice.config.OverrideSpec;
import io.sluice.config.RuleMatch;
import io.sluice.policy.cluster.ClusterSeal.Kind;
import io.sluice.policy.override.LimitOverride;
import java.io.EOFException;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An override as the cluster keeps it: its fields as strings and numbers, so that members need no config classes,
 * and their signature with the cluster secret.
 */
final class ClusterOverride implements IdentifiedDataSerializable {

    private LimitOverride override;
    private String signature;

    /** For deserialization. */
    ClusterOverride() {
    }

    private ClusterOverride(LimitOverride override, String signature) {
        this.override = override;
        this.signature = signature;
    }

    /** An override signed by this node. */
    static ClusterOverride signed(ClusterSeal seal, LimitOverride override) {
        return new ClusterOverride(override, seal.sign(Kind.OVERRIDE, override.id(), content(override)));
    }

    LimitOverride override() {
        return override;
    }

    /** Whether a holder of the cluster secret wrote this override under this key. */
    boolean authentic(ClusterSeal seal, String key) {
        return override != null && override.id().equals(key)
                && seal.verify(signature, Kind.OVERRIDE, key, content(override));
    }

    // Every field but the id (the signature's key), lists as their size then their items.
    private static String[] content(LimitOverride override) {
        OverrideSpec spec = override.spec();
        RuleMatch match = spec.match();
        List<String> content = new ArrayList<>();
        content.add(spec.rule());
        addList(content, match.clientNets().stream().map(Cidr::toString).toList());
        addList(content, match.helos());
        addList(content, match.senderDomains());
        addList(content, match.recipientDomains());
        addList(content, match.destinationDomains());
        if (!match.sourceSites().isEmpty()) {
            // Only where there are some: the signature of an override without stays what it was.
            addList(content, match.sourceSites());
        }
        content.add(Double.toString(spec.factor()));
        content.add(Long.toString(spec.expires().toEpochMilli()));
        content.add(spec.reason());
        content.add(override.createdBy());
        content.add(Long.toString(override.created().toEpochMilli()));
        return content.toArray(String[]::new);
    }

    private static void addList(List<String> content, List<String> items) {
        content.add(Integer.toString(items.size()));
        content.addAll(items);
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
        out.writeString(signature);
        // Last: a node that knows no source-site conditions reads the rest, but the signature covers these too, so it
        // finds the override forged and removes it. Feedback's scales hold once every node runs this version.
        out.writeStringArray(match.sourceSites().toArray(String[]::new));
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
        String id = in.readString();
        String rule = in.readString();
        List<String> nets = strings(in);
        List<String> helos = strings(in);
        List<String> senders = strings(in);
        List<String> recipients = strings(in);
        List<String> destinations = strings(in);
        double factor = in.readDouble();
        long expires = in.readLong();
        String reason = in.readString();
        String createdBy = in.readString();
        long created = in.readLong();
        signature = in.readString();
        List<String> sourceSites;
        try {
            sourceSites = strings(in);
        } catch (EOFException e) {
            // Written by a node that knows no source-site conditions: there are none.
            sourceSites = List.of();
        }
        try {
            RuleMatch match = new RuleMatch(nets.stream().map(Cidr::parse).toList(), helos, senders, recipients,
                    destinations, sourceSites == null ? List.of() : sourceSites);
            OverrideSpec spec = new OverrideSpec(rule, match, factor, Instant.ofEpochMilli(expires), reason);
            override = new LimitOverride(id, spec, createdBy, Instant.ofEpochMilli(created));
        } catch (RuntimeException e) {
            // Fields no Sluice node writes: not an override, and so not authentic (counted as a forgery).
            override = null;
        }
    }

    private static List<String> strings(ObjectDataInput in) throws IOException {
        String[] items = in.readStringArray();
        return items == null ? null : Arrays.asList(items);
    }
}
