package io.sluice.policy.eval;

import static net.logstash.logback.argument.StructuredArguments.kv;

import io.sluice.config.PolicyDocument;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audit line of every policy a node puts in force, whatever brought it (the configuration file, this node's
 * admin API, another node through the cluster): its version and the SHA-256 of its document, so that the nodes'
 * lines can be compared and a change nobody made through the API stands out.
 */
public final class PolicyAudit {

    /** The audit logger, which keeps its own level. */
    public static final String AUDIT_LOGGER = "io.sluice.audit";
    private static final Logger audit = LoggerFactory.getLogger(AUDIT_LOGGER);

    private PolicyAudit() {
    }

    /**
     * @param document the policy as {@link PolicyDocument#json} writes it
     * @param source what brought it: {@code file}, {@code api} or {@code cluster}
     */
    public static void applied(long version, String document, String source) {
        audit.info("policy applied {} {} {} {}", kv("action", "policy.apply"), kv("policy_version", version),
                kv("policy_sha256", PolicyDocument.sha256(document)), kv("source", source));
    }
}
