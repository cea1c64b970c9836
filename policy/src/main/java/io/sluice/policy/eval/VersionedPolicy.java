package io.sluice.policy.eval;

import io.sluice.config.PolicyConfig;
import java.util.Objects;

/**
 * A policy with the version it runs as: 1 for the configuration file's, one more for each change.
 *
 * @param version at least 1
 * @param policy the rules
 */
public record VersionedPolicy(long version, PolicyConfig policy) {

    public VersionedPolicy {
        if (version < 1) {
            throw new IllegalArgumentException("version: " + version + " (expected: >= 1)");
        }
        Objects.requireNonNull(policy, "policy");
    }
}
