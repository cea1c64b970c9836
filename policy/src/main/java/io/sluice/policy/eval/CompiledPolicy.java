package io.sluice.policy.eval;

import io.sluice.config.ConcurrencyRule;
import io.sluice.config.LimitRule;
import io.sluice.config.PolicyConfig;
import io.sluice.config.RuleKey.Stage;
import io.sluice.policy.model.Facts;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * An immutable snapshot of the policy, compiled once: the rules of each stage in file order. Planning what a
 * request costs is a pure function of the snapshot and the facts.
 */
public final class CompiledPolicy {

    private final PolicyConfig config;
    private final Map<Stage, List<CompiledLimit>> limitsByStage = new EnumMap<>(Stage.class);
    private final List<CompiledConcurrency> concurrency = new ArrayList<>();

    public CompiledPolicy(PolicyConfig config) {
        this.config = config;
        for (Stage stage : Stage.values()) {
            limitsByStage.put(stage, new ArrayList<>());
        }
        for (LimitRule rule : config.limits()) {
            limitsByStage.get(rule.stage()).add(new CompiledLimit(rule));
        }
        for (ConcurrencyRule rule : config.concurrency()) {
            concurrency.add(new CompiledConcurrency(rule));
        }
    }

    public PolicyConfig config() {
        return config;
    }

    /** Every compiled rate limit, in file order within each stage. */
    public List<CompiledLimit> limits() {
        List<CompiledLimit> all = new ArrayList<>();
        limitsByStage.values().forEach(all::addAll);
        return all;
    }

    /** What a request at this stage costs: the buckets to take tokens from and the slots to hold. */
    public Plan plan(Stage stage, Facts facts) {
        List<CompiledLimit> limits = limitsByStage.get(stage);
        boolean holds = stage == Stage.CONNECT && !concurrency.isEmpty();
        if (limits.isEmpty() && !holds) {
            return Plan.EMPTY;
        }
        List<Plan.Charge> charges = new ArrayList<>(limits.size());
        for (CompiledLimit limit : limits) {
            String key = limit.bucketKey(facts);
            if (key != null) {
                charges.add(new Plan.Charge(limit, key, limit.tokens(facts)));
            }
        }
        List<Plan.Hold> leases = new ArrayList<>();
        if (holds) {
            for (CompiledConcurrency rule : concurrency) {
                String key = rule.leaseKey(facts);
                if (key != null) {
                    leases.add(new Plan.Hold(rule, key));
                }
            }
        }
        return charges.isEmpty() && leases.isEmpty() ? Plan.EMPTY : new Plan(stage, charges, leases);
    }

    /** Whether a stage has any rule at all: a session can skip asking when none has. */
    public boolean hasRules(Stage stage) {
        return !limitsByStage.get(stage).isEmpty() || (stage == Stage.CONNECT && !concurrency.isEmpty());
    }
}
