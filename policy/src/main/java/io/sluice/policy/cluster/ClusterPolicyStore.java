package io.sluice.policy.cluster;

import static net.logstash.logback.argument.StructuredArguments.kv;

import com.hazelcast.map.IMap;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.config.ConfigException;
import io.sluice.config.ConfigLoader;
import io.sluice.config.PolicyConfig;
import io.sluice.config.PolicyDocument;
import io.sluice.policy.PolicyMeters;
import io.sluice.policy.cluster.ClusterSeal.Kind;
import io.sluice.policy.eval.PolicyAudit;
import io.sluice.policy.eval.PolicyEngine;
import io.sluice.policy.eval.PolicyStore;
import io.sluice.policy.eval.VersionedPolicy;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The policy kept by the cluster, so that a change made on one node is in force on all of them: one entry holds
 * the version, the document and their signature; a change is a compare-and-set at the entry's owner; every node
 * listens for the entry and swaps the new snapshot into its engine. A node that joins takes the cluster's policy;
 * the first node of a cluster (a whole-cluster restart too) starts it from its configuration file.
 *
 * <p>Only entries signed with the cluster secret are applied. One that is not (a forgery), an older one written
 * back (a replay) or a removed entry is answered by writing this node's policy back, so that the cluster's entry
 * never stays one the admin API cannot change.
 */
public final class ClusterPolicyStore implements PolicyStore {

    static final String MAP = "sluice-policy";
    private static final String KEY = ClusterPolicy.KEY;
    private static final String CHANGED_HERE = "changed here";
    private static final Logger log = LoggerFactory.getLogger(ClusterPolicyStore.class);

    private final PolicyEngine engine;
    private final IMap<String, ClusterPolicy> map;
    private final ClusterSeal seal;
    private final Set<String> listenerNames;
    private volatile VersionedPolicy current;
    private volatile ClusterPolicy currentEntry;

    /**
     * Joins the cluster's policy, or starts it with the engine's (the configuration file's) as version 1.
     *
     * @param listenerNames the listeners rules may name, to read the cluster's documents against
     */
    public ClusterPolicyStore(ClusterNode cluster, PolicyEngine engine, Set<String> listenerNames,
                              MeterRegistry registry) {
        this.engine = engine;
        this.map = cluster.hazelcast().getMap(MAP);
        this.seal = cluster.seal();
        this.listenerNames = Set.copyOf(listenerNames);
        PolicyConfig file = engine.policy().config();
        this.current = new VersionedPolicy(1, file);
        this.currentEntry = ClusterPolicy.signed(seal, 1, PolicyDocument.json(file));
        map.addEntryListener(new EntryChanges<ClusterPolicy>((key, value) -> changed(value), key -> removed("removed"),
                () -> removed("map cleared")), true);
        ClusterPolicy existing = map.putIfAbsent(KEY, currentEntry);
        if (existing == null) {
            log.info("policy in force, from the configuration file", kv("policy_version", 1),
                    kv("policy_sha256", PolicyDocument.sha256(currentEntry.document())));
        } else if (existing.authentic(seal)) {
            // The cluster's first version may differ from this node's file: the cluster's wins.
            put(existing, "from the cluster");
        } else {
            seal.forged(Kind.POLICY, KEY, "found at start");
            writeBack(existing);
        }
        Gauge.builder(PolicyMeters.POLICY_VERSION.meterName(), this, store -> store.current().version())
                .description("version of the policy in force on this node")
                .register(registry);
    }

    @Override
    public VersionedPolicy current() {
        return current;
    }

    @Override
    public CompletableFuture<Optional<VersionedPolicy>> replace(long expectedVersion, PolicyConfig policy) {
        String document = PolicyDocument.json(policy);
        return map.getAsync(KEY).toCompletableFuture().thenCompose(stored -> {
            // The version the change must be based on: the cluster's, unless what the cluster holds is not
            // authentic or older than what is in force here (then this node's, which the write-back restores).
            long inForce = current.version();
            long version = stored != null && stored.authentic(seal) ? Math.max(inForce, stored.version()) : inForce;
            if (expectedVersion != version || version >= ClusterPolicy.MAX_VERSION) {
                return CompletableFuture.completedFuture(Optional.<VersionedPolicy>empty());
            }
            ClusterPolicy next = ClusterPolicy.signed(seal, version + 1, document);
            return map.submitToKey(KEY, new ClusterPolicy.Replace(stored, next)).toCompletableFuture()
                    .thenApply(replaced -> {
                        if (!replaced) {
                            return Optional.<VersionedPolicy>empty();
                        }
                        // In force here at once; the other nodes follow as the change reaches them.
                        adopt(next, CHANGED_HERE);
                        return Optional.of(current);
                    });
        });
    }

    /** Puts a newer version of the cluster's policy in force; older or equal versions change nothing. */
    private synchronized void adopt(ClusterPolicy policy, String how) {
        if (policy.version() > current.version()) {
            put(policy, how);
        }
    }

    private synchronized void put(ClusterPolicy policy, String how) {
        PolicyConfig parsed;
        try {
            parsed = ConfigLoader.parsePolicy(policy.document(), "cluster policy version " + policy.version(),
                    listenerNames);
        } catch (ConfigException e) {
            // Another node wrote rules this node's listeners cannot run: keep what is in force and say so.
            log.error("cluster policy not usable here; keeping the policy in force",
                    kv("policy_version", policy.version()), kv("in_force", current.version()),
                    kv("errors", e.getMessage()));
            return;
        }
        engine.replace(parsed);
        current = new VersionedPolicy(policy.version(), parsed);
        currentEntry = policy;
        log.info("policy in force, " + how, kv("policy_version", policy.version()),
                kv("limits", parsed.limits().size()), kv("concurrency", parsed.concurrency().size()),
                kv("policy_sha256", PolicyDocument.sha256(policy.document())));
        if (!how.equals(CHANGED_HERE)) {
            // A change through this node's admin API is audited there, with who made it.
            PolicyAudit.fromCluster(policy.version(), policy.document());
        }
    }

    /** What the entry became, on every node (its own changes included: adopting twice changes nothing). */
    private void changed(ClusterPolicy value) {
        if (value == null || !value.authentic(seal)) {
            seal.forged(Kind.POLICY, KEY, "written to the cluster");
            writeBack(value);
        } else if (value.version() < current.version()) {
            // Signed, but older than what is in force: written back by someone, or a node that missed a change.
            writeBack(value);
        } else {
            adopt(value, "from the cluster");
        }
    }

    /** Nothing of Sluice removes the policy: whoever did is no node of this cluster. */
    private void removed(String how) {
        seal.forged(Kind.POLICY, KEY, how + " from the cluster");
        writeBack(null);
    }

    /**
     * Replaces the entry with this node's policy if it is still {@code found} (null: absent). Every node tries; the
     * first wins and the others find the entry changed. Nodes that run the same (latest) version write the same.
     */
    private void writeBack(ClusterPolicy found) {
        ClusterPolicy mine = currentEntry;
        map.submitToKey(KEY, new ClusterPolicy.Replace(found, mine)).toCompletableFuture().whenComplete(
                (replaced, error) -> {
                    if (error != null) {
                        log.warn("writing the policy in force back to the cluster failed",
                                kv("error", error.toString()));
                    } else if (replaced) {
                        log.info("policy in force written back to the cluster", kv("policy_version", mine.version()));
                    }
                });
    }
}
