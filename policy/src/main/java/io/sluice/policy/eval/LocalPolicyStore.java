package io.sluice.policy.eval;

import static net.logstash.logback.argument.StructuredArguments.kv;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.config.PolicyConfig;
import io.sluice.config.PolicyDocument;
import io.sluice.policy.PolicyMeters;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A policy store of this node alone: versions count up from 1, the engine's starting policy, and a change is in
 * force on this node only.
 */
public final class LocalPolicyStore implements PolicyStore {

    private static final Logger log = LoggerFactory.getLogger(LocalPolicyStore.class);

    private final PolicyEngine engine;
    private volatile VersionedPolicy current;

    /** Starts at version 1 with the policy the engine runs now. */
    public LocalPolicyStore(PolicyEngine engine, MeterRegistry registry) {
        this.engine = engine;
        this.current = new VersionedPolicy(1, engine.policy().config());
        Gauge.builder(PolicyMeters.POLICY_VERSION.meterName(), this, store -> store.current().version())
                .description("version of the policy in force on this node")
                .register(registry);
        logInForce(current);
    }

    @Override
    public VersionedPolicy current() {
        return current;
    }

    // Synchronized so that the version and the engine's policy change together: two winners in a row must leave the
    // engine with the second one's policy.
    @Override
    public synchronized CompletableFuture<Optional<VersionedPolicy>> replace(long expectedVersion,
                                                                             PolicyConfig policy) {
        if (current.version() != expectedVersion) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        VersionedPolicy next = new VersionedPolicy(expectedVersion + 1, policy);
        engine.replace(policy);
        current = next;
        logInForce(next);
        return CompletableFuture.completedFuture(Optional.of(next));
    }

    // A change through the admin API is audited there, with who made it; this line says what is in force.
    private static void logInForce(VersionedPolicy policy) {
        log.info("policy in force", kv("policy_version", policy.version()),
                kv("limits", policy.policy().limits().size()),
                kv("concurrency", policy.policy().concurrency().size()),
                kv("policy_sha256", PolicyDocument.sha256(PolicyDocument.json(policy.policy()))));
    }
}
