package io.sluice.policy.eval;

import io.sluice.config.RuleKey.Stage;
import io.sluice.policy.override.LimitOverride;
import io.sluice.policy.ratelimit.BucketSpec;
import java.util.List;

/**
 * What one request costs under the policy.
 *
 * @param charges tokens to take, one bucket per applicable rate limit
 * @param holds session slots to hold, one per applicable concurrency rule
 */
public record Plan(Stage stage, List<Charge> charges, List<Hold> holds) {

    public static final Plan EMPTY = new Plan(Stage.CONNECT, List.of(), List.of());

    public boolean isEmpty() {
        return charges.isEmpty() && holds.isEmpty();
    }

    /**
     * Tokens to take from one bucket.
     *
     * @param spec the bucket's shape: the rule's, or an override's
     * @param override the override in force for this bucket; null if none
     * @param shareKey the key the rule shares its bucket fairly across, such as the client's network; null if none
     */
    public record Charge(CompiledLimit limit, BucketSpec spec, String bucketKey, long tokens, LimitOverride override,
                         String shareKey) {

        /** A charge of a rule without fair sharing. */
        public Charge(CompiledLimit limit, BucketSpec spec, String bucketKey, long tokens, LimitOverride override) {
            this(limit, spec, bucketKey, tokens, override, null);
        }

        /** The bucket's refill rate, which fair shares divide. */
        public double tokensPerMilli() {
            return spec.refillTokens() * 1e6 / spec.refillPeriod().toNanos();
        }
    }

    /**
     * A slot to hold under one concurrency rule.
     *
     * @param max the most slots of the key: the rule's, or an override's
     * @param override the override in force for this key; null if none
     */
    public record Hold(CompiledConcurrency rule, String leaseKey, int max, LimitOverride override) {}
}
