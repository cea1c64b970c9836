package io.sluice.policy.eval;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.sluice.config.PolicyConfig;
import io.sluice.config.RuleKey.Stage;
import io.sluice.policy.PolicyMeters;
import io.sluice.policy.model.Decision;
import io.sluice.policy.model.Facts;
import io.sluice.policy.ratelimit.Lease;
import io.sluice.policy.ratelimit.LeaseStore;
import io.sluice.policy.ratelimit.Probe;
import io.sluice.policy.ratelimit.RateLimiter;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides requests against the current policy snapshot: plans the cost (pure), asks the buckets and lease
 * store (asynchronous), and combines their answers (pure). A refused request gives back what it took.
 */
public final class PolicyEngine {

    private static final Logger log = LoggerFactory.getLogger(PolicyEngine.class);

    /** An admission that needed no question: shared, already complete. */
    public static final CompletableFuture<Decision> ADMITTED = CompletableFuture.completedFuture(Decision.ADMIT);

    private final AtomicReference<CompiledPolicy> policy;
    private final RateLimiter limiter;
    private final LeaseStore leases;
    private final MeterRegistry registry;
    private final Map<Stage, Timer> latency = new EnumMap<>(Stage.class);
    private final Map<String, Counter> decisions = new ConcurrentHashMap<>();

    public PolicyEngine(PolicyConfig config, RateLimiter limiter, LeaseStore leases, MeterRegistry registry) {
        this.policy = new AtomicReference<>(new CompiledPolicy(config));
        this.limiter = limiter;
        this.leases = leases;
        this.registry = registry;
        for (Stage stage : Stage.values()) {
            latency.put(stage, Timer.builder(PolicyMeters.DECISION_LATENCY.meterName())
                    .description("time to decide one request against every rule of its stage")
                    .tag("stage", stage.name().toLowerCase(java.util.Locale.ROOT))
                    .publishPercentileHistogram()
                    .register(registry));
        }
    }

    public CompiledPolicy policy() {
        return policy.get();
    }

    /** Swaps in a new policy; sessions pick it up at their next request. */
    public void replace(PolicyConfig config) {
        policy.set(new CompiledPolicy(config));
    }

    public RateLimiter limiter() {
        return limiter;
    }

    /** The limits of one client session, from its connection on. */
    public SessionLimits openSession(String listener, InetAddress clientIp) {
        return new SessionLimits(this, Facts.connect(listener, clientIp));
    }

    /** Decides one request; the leases it wins go to {@code holder}, or are released if it refuses. */
    CompletableFuture<Decision> decide(Plan plan, LeaseHolder holder) {
        long start = registry.config().clock().monotonicTime();
        List<CompletableFuture<Probe>> probes = new ArrayList<>(plan.charges().size());
        for (Plan.Charge charge : plan.charges()) {
            probes.add(limiter.tryConsume(charge.bucketKey(), charge.limit().spec(), charge.tokens()));
        }
        List<CompletableFuture<Optional<Lease>>> slots = new ArrayList<>(plan.holds().size());
        for (Plan.Hold hold : plan.holds()) {
            slots.add(leases.acquire(hold.leaseKey(), hold.rule().rule().max()));
        }
        CompletableFuture<Void> all = slots.isEmpty() && probes.size() == 1 ? probes.get(0).thenApply(p -> null)
                : CompletableFuture.allOf(concat(probes, slots));
        return all.thenApply(ignored -> {
            List<Probe> answers = probes.stream().map(CompletableFuture::join).toList();
            List<Optional<Lease>> won = slots.stream().map(CompletableFuture::join).toList();
            Decision decision = Verdicts.decide(plan, answers, won.stream().map(Optional::isPresent).toList());
            if (decision.admitted()) {
                won.forEach(lease -> lease.ifPresent(holder::hold));
            } else {
                giveBack(plan, answers, won);
            }
            count(plan, answers, won, decision);
            latency.get(plan.stage()).record(registry.config().clock().monotonicTime() - start,
                    java.util.concurrent.TimeUnit.NANOSECONDS);
            return decision;
        }).exceptionally(error -> {
            // The limiters answer failures of the cluster themselves; anything else is a bug, and mail goes on.
            log.warn("limit decision failed; admitting", error);
            slots.forEach(slot -> slot.thenAccept(lease -> lease.ifPresent(Lease::release)));
            return Decision.ADMIT;
        });
    }

    /** Takes tokens for what already happened (bytes beyond the declared size), whatever the bucket holds. */
    void charge(Plan.Charge charge, long tokens) {
        if (tokens > 0) {
            limiter.charge(charge.bucketKey(), charge.limit().spec(), tokens);
        } else if (tokens < 0) {
            limiter.refund(charge.bucketKey(), charge.limit().spec(), -tokens);
        }
    }

    private void giveBack(Plan plan, List<Probe> answers, List<Optional<Lease>> won) {
        for (int i = 0; i < answers.size(); i++) {
            if (answers.get(i).consumed()) {
                Plan.Charge charge = plan.charges().get(i);
                limiter.refund(charge.bucketKey(), charge.limit().spec(), charge.tokens());
            }
        }
        won.forEach(lease -> lease.ifPresent(Lease::release));
    }

    private void count(Plan plan, List<Probe> answers, List<Optional<Lease>> won, Decision decision) {
        for (int i = 0; i < won.size(); i++) {
            var rule = plan.holds().get(i).rule().rule();
            count(rule.name(), won.get(i).isPresent() ? "admitted" : rule.shadow() ? "shadow_refused" : "refused");
        }
        for (int i = 0; i < answers.size(); i++) {
            var rule = plan.charges().get(i).limit().rule();
            String outcome;
            if (answers.get(i).consumed()) {
                outcome = "admitted";
            } else if (rule.shadow()) {
                outcome = "shadow_refused";
            } else if (rule.exceeded() == io.sluice.config.LimitRule.Exceeded.DELAY) {
                outcome = "delayed";
            } else {
                outcome = "refused";
            }
            count(rule.name(), outcome);
        }
    }

    private void count(String rule, String outcome) {
        decisions.computeIfAbsent(rule + '\0' + outcome, key -> Counter.builder(PolicyMeters.DECISIONS.meterName())
                .description("rule evaluations by outcome")
                .tag("rule", rule)
                .tag("outcome", outcome)
                .register(registry)).increment();
    }

    private static CompletableFuture<?>[] concat(List<? extends CompletableFuture<?>> a,
                                                 List<? extends CompletableFuture<?>> b) {
        CompletableFuture<?>[] all = new CompletableFuture<?>[a.size() + b.size()];
        for (int i = 0; i < a.size(); i++) {
            all[i] = a.get(i);
        }
        for (int i = 0; i < b.size(); i++) {
            all[a.size() + i] = b.get(i);
        }
        return all;
    }

    /** Where the leases a session wins are kept until it ends. */
    interface LeaseHolder {
        void hold(Lease lease);
    }
}
