package io.sluice.policy.eval;

import io.sluice.config.ConcurrencyRule;
import io.sluice.config.LimitRule;
import io.sluice.config.PolicyConfig;
import io.sluice.config.RuleKey;
import io.sluice.config.RuleKey.Stage;
import io.sluice.policy.model.Facts;
import io.sluice.policy.override.LimitOverride;
import java.time.Clock;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * An immutable snapshot of the policy and its overrides, compiled once: the rules of each stage in file order.
 * Planning what a request costs is a pure function of the snapshot, the facts and the time (overrides expire).
 */
public final class CompiledPolicy {

    private final PolicyConfig config;
    private final List<LimitOverride> overrides;
    private final Clock clock;
    private final Map<Stage, List<CompiledLimit>> limitsByStage = new EnumMap<>(Stage.class);
    private final List<CompiledConcurrency> concurrency = new ArrayList<>();
    // Rules on Sluice's connections to backends and remote sites, asked when one is opened rather than when a client
    // connects.
    private final List<CompiledConcurrency> backendConcurrency = new ArrayList<>();

    public CompiledPolicy(PolicyConfig config) {
        this(config, List.of(), Clock.systemUTC());
    }

    /** @param overrides overrides of any rule, oldest first; those of rules the policy lacks change nothing */
    public CompiledPolicy(PolicyConfig config, List<LimitOverride> overrides, Clock clock) {
        this.config = config;
        this.overrides = List.copyOf(overrides);
        this.clock = clock;
        for (Stage stage : Stage.values()) {
            limitsByStage.put(stage, new ArrayList<>());
        }
        for (LimitRule rule : config.limits()) {
            limitsByStage.get(rule.stage()).add(new CompiledLimit(rule, overridesOf(rule.name())));
        }
        for (ConcurrencyRule rule : config.concurrency()) {
            (rule.key().countsConnections() ? backendConcurrency : concurrency)
                    .add(new CompiledConcurrency(rule, overridesOf(rule.name())));
        }
    }

    // The newest override wins where several match: it is the operator's latest word.
    private List<LimitOverride> overridesOf(String rule) {
        List<LimitOverride> ofRule = new ArrayList<>();
        for (LimitOverride override : overrides) {
            if (override.spec().rule().equals(rule)) {
                ofRule.add(0, override);
            }
        }
        return ofRule;
    }

    public PolicyConfig config() {
        return config;
    }

    public List<LimitOverride> overrides() {
        return overrides;
    }

    /** Every compiled rate limit, in file order within each stage. */
    public List<CompiledLimit> limits() {
        List<CompiledLimit> all = new ArrayList<>();
        limitsByStage.values().forEach(all::addAll);
        return all;
    }

    /** The rate limit of that name. */
    public Optional<CompiledLimit> limit(String name) {
        return limits().stream().filter(limit -> limit.rule().name().equals(name)).findFirst();
    }

    /** The concurrency rule of that name. */
    public Optional<CompiledConcurrency> concurrency(String name) {
        return Stream.concat(concurrency.stream(), backendConcurrency.stream())
                .filter(rule -> rule.rule().name().equals(name)).findFirst();
    }

    /** What a request at this stage costs now: the buckets to take tokens from and the slots to hold. */
    public Plan plan(Stage stage, Facts facts) {
        // Without overrides the time changes nothing: no need to read the clock.
        return plan(stage, facts, overrides.isEmpty() ? 0 : clock.millis());
    }

    /** What a request at this stage costs at {@code now} (epoch milliseconds), the time overrides expire by. */
    Plan plan(Stage stage, Facts facts, long now) {
        List<CompiledLimit> limits = limitsByStage.get(stage);
        boolean holds = stage == Stage.CONNECT && !concurrency.isEmpty();
        if (limits.isEmpty() && !holds) {
            return Plan.EMPTY;
        }
        List<Plan.Charge> charges = new ArrayList<>(limits.size());
        for (CompiledLimit limit : limits) {
            Plan.Charge charge = limit.charge(facts, now);
            if (charge != null) {
                charges.add(charge);
            }
        }
        List<Plan.Hold> leases = new ArrayList<>();
        if (holds) {
            for (CompiledConcurrency rule : concurrency) {
                Plan.Hold hold = rule.hold(facts, now);
                if (hold != null) {
                    leases.add(hold);
                }
            }
        }
        return charges.isEmpty() && leases.isEmpty() ? Plan.EMPTY : new Plan(stage, charges, leases);
    }

    /**
     * The slots a new connection to a backend server or a remote site costs: one under each rule counting
     * connections that applies to the listener and whose key the facts name ({@link Facts#withBackendServer},
     * {@link Facts#withEgress(String, String, String)}).
     */
    public Plan backendPlan(Facts facts) {
        if (backendConcurrency.isEmpty()) {
            return Plan.EMPTY;
        }
        long now = overrides.isEmpty() ? 0 : clock.millis();
        List<Plan.Hold> holds = new ArrayList<>(backendConcurrency.size());
        for (CompiledConcurrency rule : backendConcurrency) {
            Plan.Hold hold = rule.hold(facts, now);
            if (hold != null) {
                holds.add(hold);
            }
        }
        return holds.isEmpty() ? Plan.EMPTY : new Plan(Stage.CONNECT, List.of(), holds);
    }

    /** Whether a stage has any rule at all: a session can skip asking when none has. */
    public boolean hasRules(Stage stage) {
        return !limitsByStage.get(stage).isEmpty() || (stage == Stage.CONNECT && !concurrency.isEmpty());
    }
}
