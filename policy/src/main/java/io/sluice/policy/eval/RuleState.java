package io.sluice.policy.eval;

import io.sluice.policy.override.LimitOverride;
import java.util.Optional;

/**
 * What one rule holds for one key now: a rate limit's bucket, or a concurrency rule's slots.
 *
 * @param key the rule's key, such as {@code 198.51.100.7}
 * @param concurrency whether the rule counts open sessions (slots) rather than tokens
 * @param limit the bucket's capacity, or the most slots
 * @param available tokens in the bucket, or free slots
 * @param override the override in force for this key
 */
public record RuleState(String rule, String key, boolean concurrency, long limit, long available,
                        Optional<LimitOverride> override) {
}
