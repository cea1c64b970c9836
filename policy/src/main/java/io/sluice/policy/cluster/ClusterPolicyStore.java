package io.sluice.policy.cluster;

import static net.logstash.logback.argument.StructuredArguments.kv;

import com.hazelcast.core.EntryEvent;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.config.ConfigException;
import io.sluice.config.ConfigLoader;
import io.sluice.config.PolicyConfig;
import io.sluice.config.PolicyDocument;
import io.sluice.policy.PolicyMeters;
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
 * the version and the document; a change is a compare-and-set on the version at the entry's owner; every node
 * listens for the entry and swaps the new snapshot into its engine. A node that joins takes the cluster's policy;
 * the first node of a cluster (a whole-cluster restart too) starts it from its configuration file.
 */
public final class ClusterPolicyStore implements PolicyStore {

    static final String MAP = "sluice-policy";
    private static final String KEY = "policy";
    private static final Logger log = LoggerFactory.getLogger(ClusterPolicyStore.class);

    private final PolicyEngine engine;
    private final IMap<String, ClusterPolicy> map;
    private final Set<String> listenerNames;
    private volatile VersionedPolicy current;

    /**
     * Joins the cluster's policy, or starts it with the engine's (the configuration file's) as version 1.
     *
     * @param listenerNames the listeners rules may name, to read the cluster's documents against
     */
    public ClusterPolicyStore(ClusterNode cluster, PolicyEngine engine, Set<String> listenerNames,
                              MeterRegistry registry) {
        this.engine = engine;
        this.map = cluster.hazelcast().getMap(MAP);
        this.listenerNames = Set.copyOf(listenerNames);
        PolicyConfig file = engine.policy().config();
        this.current = new VersionedPolicy(1, file);
        map.addEntryListener(new Listener(), true);
        ClusterPolicy existing = map.putIfAbsent(KEY, new ClusterPolicy(1, PolicyDocument.json(file)));
        if (existing == null) {
            log.info("policy in force, from the configuration file", kv("policy_version", 1));
        } else {
            // The cluster's first version may differ from this node's file: the cluster's wins.
            put(existing, "from the cluster");
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
        return map.submitToKey(KEY, new ClusterPolicy.Replace(expectedVersion, document)).toCompletableFuture()
                .thenApply(version -> {
                    if (version == 0L) {
                        return Optional.<VersionedPolicy>empty();
                    }
                    // In force here at once; the other nodes follow as the change reaches them.
                    adopt(new ClusterPolicy(version, document), "changed here");
                    return Optional.of(current);
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
        log.info("policy in force, " + how, kv("policy_version", policy.version()),
                kv("limits", parsed.limits().size()), kv("concurrency", parsed.concurrency().size()));
    }

    /** Every change of the entry, on every node (its own included: adopting twice changes nothing). */
    private final class Listener implements EntryAddedListener<String, ClusterPolicy>,
            EntryUpdatedListener<String, ClusterPolicy> {

        @Override
        public void entryAdded(EntryEvent<String, ClusterPolicy> event) {
            adopt(event.getValue(), "from the cluster");
        }

        @Override
        public void entryUpdated(EntryEvent<String, ClusterPolicy> event) {
            adopt(event.getValue(), "from the cluster");
        }
    }
}
