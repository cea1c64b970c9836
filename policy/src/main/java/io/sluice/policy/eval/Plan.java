package io.sluice.policy.eval;

import io.sluice.config.RuleKey.Stage;
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

    /** Tokens to take from one bucket. */
    public record Charge(CompiledLimit limit, String bucketKey, long tokens) {}

    /** A slot to hold under one concurrency rule. */
    public record Hold(CompiledConcurrency rule, String leaseKey) {}
}
