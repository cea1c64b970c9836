package io.sluice.config;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;

/**
 * A temporary change of one rule for part of its keys, such as "the per-ip limit ×3 for 198.51.100.0/24 until
 * 20:00": where the match holds, the rule's rate and burst (or a concurrency rule's max) are multiplied by the
 * factor until the override expires.
 *
 * @param rule the name of the limit or concurrency rule it changes
 * @param match where it applies; empty means every key of the rule
 * @param factor what the rule's rate and burst (or max) are multiplied by, above 0
 * @param expires when it stops applying
 * @param reason why, for the operators who read the list later; may be empty
 */
public record OverrideSpec(String rule, RuleMatch match, double factor, Instant expires, String reason) {

    /** Above this an override is no longer a temporary change of a rule but a different rule. */
    public static final double MAX_FACTOR = 1000;

    public OverrideSpec {
        Objects.requireNonNull(rule, "rule");
        Objects.requireNonNull(match, "match");
        if (!(factor > 0 && factor <= MAX_FACTOR)) {
            throw new IllegalArgumentException("factor: " + factor + " (expected: above 0, at most " + MAX_FACTOR
                    + ")");
        }
        // Milliseconds, as the cluster keeps it: the same override reads the same on every node.
        expires = expires.truncatedTo(ChronoUnit.MILLIS);
        Objects.requireNonNull(reason, "reason");
    }
}
