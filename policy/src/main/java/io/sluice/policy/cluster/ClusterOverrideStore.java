package io.sluice.policy.cluster;

import static net.logstash.logback.argument.StructuredArguments.kv;

import com.hazelcast.map.IMap;
import io.sluice.config.OverrideSpec;
import io.sluice.policy.eval.PolicyEngine;
import io.sluice.policy.override.LimitOverride;
import io.sluice.policy.override.OverrideStore;
import io.sluice.policy.override.OverridesInForce;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The overrides kept by the cluster, so that one made on any node is in force on all of them: one map entry per
 * override, living until the override expires; every node listens to the map and keeps its engine in step. A node
 * that joins takes the overrides the cluster has. They live in the cluster's memory only: a whole-cluster restart
 * starts without any. Only overrides signed with the cluster secret are put in force; an entry that is not is
 * counted as a forgery and taken out of the map (or, where it took the place of an override in force here, replaced
 * by that override again).
 */
public final class ClusterOverrideStore implements OverrideStore {

    static final String MAP = "sluice-overrides";
    private static final Logger log = LoggerFactory.getLogger(ClusterOverrideStore.class);

    private final IMap<String, ClusterOverride> map;
    private final ClusterSeal seal;
    private final OverridesInForce inForce;
    private final Clock clock;

    public ClusterOverrideStore(ClusterNode cluster, PolicyEngine engine, Clock clock) {
        this.map = cluster.hazelcast().getMap(MAP);
        this.seal = cluster.seal();
        this.inForce = new OverridesInForce(engine, clock);
        this.clock = clock;
        map.addEntryListener(new EntryChanges<ClusterOverride>(this::changed, inForce::remove, () -> { }), true);
        map.forEach(this::changed);
        if (!inForce.list().isEmpty()) {
            log.info("overrides in force, from the cluster", kv("overrides", inForce.list().size()));
        }
    }

    @Override
    public List<LimitOverride> list() {
        return inForce.list();
    }

    @Override
    public CompletableFuture<LimitOverride> add(OverrideSpec spec, String createdBy) {
        LimitOverride override = LimitOverride.create(spec, createdBy, clock);
        long ttl = Math.max(1, Duration.between(clock.instant(), spec.expires()).toMillis());
        return map.putAsync(override.id(), ClusterOverride.signed(seal, override), ttl, TimeUnit.MILLISECONDS)
                .toCompletableFuture()
                .thenApply(previous -> {
                    // In force here at once; the other nodes follow as the entry reaches them.
                    inForce.put(override);
                    return override;
                });
    }

    @Override
    public CompletableFuture<Boolean> remove(String id) {
        return map.removeAsync(id).toCompletableFuture().thenApply(previous -> {
            inForce.remove(id);
            return previous != null;
        });
    }

    /** What an entry became: put in force if it is authentic; otherwise counted, and undone in the map. */
    private void changed(String key, ClusterOverride value) {
        if (value.authentic(seal, key)) {
            inForce.put(value.override());
            return;
        }
        seal.forged(ClusterSeal.Kind.OVERRIDE, key, "written to the cluster");
        inForce.list().stream().filter(override -> override.id().equals(key)).findFirst().ifPresentOrElse(
                mine -> {
                    long ttl = Duration.between(clock.instant(), mine.spec().expires()).toMillis();
                    if (ttl > 0) {
                        map.putAsync(key, ClusterOverride.signed(seal, mine), ttl, TimeUnit.MILLISECONDS);
                    } else {
                        // Nothing valid to put back: the forged value goes.
                        map.removeAsync(key);
                    }
                },
                () -> map.removeAsync(key));
    }
}
