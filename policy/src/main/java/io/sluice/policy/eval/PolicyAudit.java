package io.sluice.policy.eval;

import static net.logstash.logback.argument.StructuredArguments.kv;

import io.sluice.config.PolicyDocument;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audit line of a policy that reached this node through the cluster (a change made on another node's admin API
 * is audited there, with who made it): its version and the SHA-256 of its document, so that every node's lines can be
 * compared with the API's and a change nobody made through the API stands out.
 */
public final class PolicyAudit {

    /** The audit logger, which keeps its own level. */
    public static final String AUDIT_LOGGER = "io.sluice.audit";
    private static final Logger audit = LoggerFactory.getLogger(AUDIT_LOGGER);

    private PolicyAudit() {
    }

    /** @param document the policy as {@link PolicyDocument#json} writes it */
    public static void fromCluster(long version, String document) {
        audit.info("policy applied {} {} {} {}", kv("action", "policy.apply"), kv("policy_version", version),
                kv("policy_sha256", PolicyDocument.sha256(document)), kv("source", "cluster"));
    }
}
