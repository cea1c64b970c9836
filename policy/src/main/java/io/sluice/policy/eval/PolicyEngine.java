package io.sluice.policy.eval;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.sluice.config.ConcurrencyRule;
import io.sluice.config.LimitRule;
import io.sluice.config.PolicyConfig;
import io.sluice.config.RetryPriority;
import io.sluice.config.RuleKey.Stage;
import io.sluice.policy.PolicyMeters;
import io.sluice.policy.fairshare.FairShareBook;
import io.sluice.policy.fairshare.FairShares;
import io.sluice.policy.fairshare.LocalFairShares;
import io.sluice.policy.model.Decision;
import io.sluice.policy.model.Facts;
import io.sluice.policy.override.LimitOverride;
import io.sluice.policy.ratelimit.Lease;
import io.sluice.policy.ratelimit.LeaseStore;
import io.sluice.policy.ratelimit.Probe;
import io.sluice.policy.ratelimit.RateLimiter;
import io.sluice.policy.retry.DeferredSenders;
import io.sluice.policy.retry.LocalDeferredSenders;
import io.micrometer.core.instrument.Gauge;
import java.net.InetAddress;
import java.time.Clock;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides requests against the current policy snapshot: plans the cost (pure), asks the buckets and lease
 * store (asynchronous), and combines their answers (pure). A refused request gives back what it took.
 */
public final class PolicyEngine implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PolicyEngine.class);

    /** An admission that needed no question: shared, already complete. */
    public static final CompletableFuture<Decision> ADMITTED = CompletableFuture.completedFuture(Decision.ADMIT);

    private final AtomicReference<CompiledPolicy> policy;
    private final Clock clock;
    private final RateLimiter limiter;
    private final LeaseStore leases;
    private final MeterRegistry registry;
    private final Map<Stage, Timer> latency = new EnumMap<>(Stage.class);
    private final Map<String, RuleCounters> decisions = new ConcurrentHashMap<>();
    private final DeferredSenders marks;
    private final Counter retryAdmitted;
    private final Counter retryDeferrals;
    private final Timer retryDelay;
    private final FairShares shares;
    private final Map<String, Counter> fairShareRefusals = new ConcurrentHashMap<>();

    public PolicyEngine(PolicyConfig config, RateLimiter limiter, LeaseStore leases, MeterRegistry registry) {
        this(config, limiter, leases, registry, Clock.systemUTC());
    }

    /** @param clock the time overrides expire by, and marks of deferred senders (kept on this node alone) */
    public PolicyEngine(PolicyConfig config, RateLimiter limiter, LeaseStore leases, MeterRegistry registry,
                        Clock clock) {
        this(config, limiter, leases, registry, clock, new LocalDeferredSenders(config.retryPriority(), clock));
    }

    /**
     * @param clock the time overrides expire by, and the time of marks
     * @param marks where deferred senders are remembered
     */
    public PolicyEngine(PolicyConfig config, RateLimiter limiter, LeaseStore leases, MeterRegistry registry,
                        Clock clock, DeferredSenders marks) {
        this(config, limiter, leases, registry, clock, marks, new LocalFairShares(clock));
    }

    /**
     * @param clock the time overrides expire by, the time of marks and the windows of fair shares
     * @param marks where deferred senders are remembered
     * @param shares where the demand and fair shares of fair-share rules are kept
     */
    public PolicyEngine(PolicyConfig config, RateLimiter limiter, LeaseStore leases, MeterRegistry registry,
                        Clock clock, DeferredSenders marks, FairShares shares) {
        this.clock = clock;
        this.shares = shares;
        this.policy = new AtomicReference<>(new CompiledPolicy(config, List.of(), clock));
        this.limiter = limiter;
        this.leases = leases;
        this.registry = registry;
        this.marks = marks;
        this.retryAdmitted = Counter.builder(PolicyMeters.RETRY_ADMITTED.meterName())
                .description("transactions of returning deferred senders admitted (their first recipient accepted)")
                .register(registry);
        this.retryDeferrals = Counter.builder(PolicyMeters.RETRY_DEFERRALS.meterName())
                .description("4xx at MAIL or RCPT that left a mark on the client's network and sender")
                .register(registry);
        this.retryDelay = Timer.builder(PolicyMeters.RETRY_DELAY.meterName())
                .description("from a returning sender's first deferral (the start of its generation) to its admission")
                .publishPercentileHistogram()
                .minimumExpectedValue(java.time.Duration.ofSeconds(1))
                .maximumExpectedValue(config.retryPriority().markTtl())
                .register(registry);
        Gauge.builder(PolicyMeters.RETRY_MARKS_MEMORY.meterName(), marks, DeferredSenders::memoryBytes)
                .description("bytes the marks of deferred senders take on this node; at most one filter per generation")
                .baseUnit("bytes")
                .register(registry);
        for (Stage stage : Stage.values()) {
            latency.put(stage, Timer.builder(PolicyMeters.DECISION_LATENCY.meterName())
                    .description("time to decide one request against every rule of its stage")
                    .tag("stage", stage.name().toLowerCase(Locale.ROOT))
                    .publishPercentileHistogram()
                    .register(registry));
        }
    }

    public CompiledPolicy policy() {
        return policy.get();
    }

    /** Swaps in a new policy, keeping the overrides; sessions pick it up at their next request. */
    public synchronized void replace(PolicyConfig config) {
        policy.set(new CompiledPolicy(config, policy.get().overrides(), clock));
    }

    /** Swaps in new overrides, oldest first, keeping the policy; sessions pick them up at their next request. */
    public synchronized void override(List<LimitOverride> overrides) {
        policy.set(new CompiledPolicy(policy.get().config(), overrides, clock));
    }

    public RateLimiter limiter() {
        return limiter;
    }

    /** The time overrides expire by. */
    public Clock clock() {
        return clock;
    }

    public LeaseStore leases() {
        return leases;
    }

    /** The limits of one client session, from its connection on. */
    public SessionLimits openSession(String listener, InetAddress clientIp) {
        return new SessionLimits(this, Facts.connect(listener, clientIp));
    }

    /** Where deferred senders are remembered. */
    public DeferredSenders marks() {
        return marks;
    }

    /** Where the demand and fair shares of fair-share rules are kept. */
    public FairShares fairShares() {
        return shares;
    }

    /**
     * Stops the exchanges of marks and fair shares with the cluster, and takes this node's demand out of the other
     * nodes' shares at once instead of after its entry's lifetime. Before the node leaves the cluster.
     */
    @Override
    public void close() {
        marks.close();
        shares.close();
    }

    /**
     * When the sender of {@code markKey} was first deferred (epoch milliseconds), or -1 when it is a first-time sender
     * or retry priority is off: a look at the marks, which changes nothing.
     */
    long firstDeferred(long markKey) {
        return policy.get().config().retryPriority().enabled() ? marks.firstDeferred(markKey) : -1;
    }

    /** A transaction was deferred (a 4xx at MAIL or RCPT): its client network and sender are marked. */
    void deferred(long markKey) {
        if (marks.mark(markKey)) {
            retryDeferrals.increment();
        }
    }

    /** Now on the clock of marks, in epoch milliseconds. */
    long millis() {
        return clock.millis();
    }

    /** A returning sender, first deferred at {@code firstDeferredMillis}, was admitted. */
    void returningAdmitted(long firstDeferredMillis) {
        retryAdmitted.increment();
        retryDelay.record(Math.max(0, clock.millis() - firstDeferredMillis), TimeUnit.MILLISECONDS);
    }

    /** Decides one request that is kept out of no reserve (a connection's, a backend's). */
    CompletableFuture<Decision> decide(Plan plan, LeaseHolder holder) {
        return decide(plan, holder, 0);
    }

    /**
     * Decides one request; the leases it wins go to {@code holder}, or are released if it refuses.
     *
     * @param keptShare the share of a bucket the request's sender may not take ({@link RetryPriority#keptShare}): all
     *     of the reserve for a first-time sender, less the longer ago a returning one was first deferred
     */
    CompletableFuture<Decision> decide(Plan plan, LeaseHolder holder, double keptShare) {
        long start = registry.config().clock().monotonicTime();
        int charges = plan.charges().size();
        int holds = plan.holds().size();
        CompletableFuture<?>[] answers = new CompletableFuture<?>[charges + holds];
        boolean allDone = true;
        double kept = Verdicts.keptAt(plan.stage(), keptShare);
        for (int i = 0; i < charges; i++) {
            Plan.Charge charge = plan.charges().get(i);
            long floor = Verdicts.floor(charge, kept);
            answers[i] = floor > 0 ? limiter.tryConsumeAbove(charge.bucketKey(), charge.spec(), charge.tokens(), floor)
                    : limiter.tryConsume(charge.bucketKey(), charge.spec(), charge.tokens());
            allDone &= answers[i].isDone();
        }
        for (int i = 0; i < holds; i++) {
            Plan.Hold hold = plan.holds().get(i);
            answers[charges + i] = leases.acquire(hold.leaseKey(), hold.max());
            allDone &= answers[charges + i].isDone();
        }
        if (allDone) {
            // The local limiter answers at once: no need for a dependent future.
            try {
                return CompletableFuture.completedFuture(combine(plan, answers, holder, start, kept));
            } catch (RuntimeException e) {
                return CompletableFuture.completedFuture(failed(e, answers, charges));
            }
        }
        return CompletableFuture.allOf(answers)
                .thenApply(ignored -> combine(plan, answers, holder, start, kept))
                .exceptionally(error -> failed(error, answers, charges));
    }

    @SuppressWarnings("unchecked")
    private Decision combine(Plan plan, CompletableFuture<?>[] answers, LeaseHolder holder, long start,
                             double keptShare) {
        int charges = plan.charges().size();
        Probe[] probes = new Probe[charges];
        for (int i = 0; i < charges; i++) {
            probes[i] = (Probe) answers[i].join();
        }
        Lease[] won = new Lease[answers.length - charges];
        for (int i = 0; i < won.length; i++) {
            won[i] = ((Optional<Lease>) answers[charges + i].join()).orElse(null);
        }
        // What a sender took from the share of a bucket it is kept out of (where the limiter could not keep it out at
        // once) counts as refused; the tokens go back below.
        Probe[] answered = Verdicts.withReserve(plan, probes, keptShare);
        FairShareCharges shared = fairShareCharges(plan);
        if (shared != null) {
            answered = withFairShares(plan, answered, shared);
        }
        Decision decision = Verdicts.decide(plan, answered, won);
        if (decision.admitted()) {
            for (Lease lease : won) {
                if (lease != null) {
                    holder.hold(lease);
                }
            }
            if (shared != null) {
                tookFairShares(plan, answered, shared);
            }
            giveBackHeld(plan, probes, answered);
        } else {
            giveBack(plan, probes, won);
        }
        count(plan, answered, won);
        latency.get(plan.stage()).record(registry.config().clock().monotonicTime() - start, TimeUnit.NANOSECONDS);
        return decision;
    }

    /**
     * Counts the demand of every fair-share charge, and answers a request over its key's fair share of a tight bucket
     * as a refusal ({@link Verdicts#withShares}); the tokens go back with the refusal. The same array when no answer
     * changes.
     */
    private Probe[] withFairShares(Plan plan, Probe[] probes, FairShareCharges shared) {
        FairShareBook.Share[] standings = new FairShareBook.Share[probes.length];
        for (int i = 0; i < probes.length; i++) {
            FairShareBook book = shared.books()[i];
            if (book != null) {
                book.offered(shared.keys()[i], plan.charges().get(i).tokens(), shared.now());
                standings[i] = book.share(shared.keys()[i], shared.now());
            }
        }
        Probe[] answered = Verdicts.withShares(plan, probes, standings, shared.now());
        for (int i = 0; i < probes.length; i++) {
            if (shared.books()[i] != null) {
                // Looked up at every fair-share decision, so the rule's counter is served at 0 before its first refusal.
                Counter refusals = fairShareRefusals(plan.charges().get(i).limit().rule().name());
                if (answered[i] != probes[i]) {
                    refusals.increment();
                }
            }
        }
        return answered;
    }

    /** An admitted request's tokens count against the fair shares of its keys, at the time its demand counted. */
    private void tookFairShares(Plan plan, Probe[] answered, FairShareCharges shared) {
        for (int i = 0; i < answered.length; i++) {
            if (shared.books()[i] != null && answered[i].consumed()) {
                shared.books()[i].taken(shared.keys()[i], plan.charges().get(i).tokens(), shared.now());
            }
        }
    }

    /**
     * The books and hashed keys of a plan's fair-share charges (null where a charge has none) and one reading of the
     * clock for all of the decision's fair shares, as a second could land in the next window; null when no charge of
     * the plan has a fair share.
     */
    private FairShareCharges fairShareCharges(Plan plan) {
        FairShareCharges shared = null;
        int charges = plan.charges().size();
        for (int i = 0; i < charges; i++) {
            Plan.Charge charge = plan.charges().get(i);
            if (charge.shareKey() != null) {
                if (shared == null) {
                    shared = new FairShareCharges(clock.millis(), new long[charges], new FairShareBook[charges]);
                }
                shared.books()[i] = shares.book(charge.bucketKey(), charge.tokensPerMilli());
                shared.keys()[i] = FairShareBook.keyOf(charge.shareKey());
            }
        }
        return shared;
    }

    private record FairShareCharges(long now, long[] keys, FairShareBook[] books) {
    }

    private Counter fairShareRefusals(String rule) {
        Counter counter = fairShareRefusals.get(rule);
        return counter != null ? counter : fairShareRefusals.computeIfAbsent(rule, name ->
                Counter.builder(PolicyMeters.FAIR_SHARE_REFUSED.meterName())
                        .description("requests refused (or, by a shadow rule, counted) for being over their client"
                                + " network's fair share of a tight bucket")
                        .tag("rule", name)
                        .register(registry));
    }

    // The limiters answer failures of the cluster themselves; anything else is a bug, and mail goes on.
    @SuppressWarnings("unchecked")
    private Decision failed(Throwable error, CompletableFuture<?>[] answers, int charges) {
        log.warn("limit decision failed; admitting", error);
        for (int i = charges; i < answers.length; i++) {
            ((CompletableFuture<Optional<Lease>>) answers[i]).thenAccept(lease -> lease.ifPresent(Lease::release));
        }
        return Decision.ADMIT;
    }

    /** Takes tokens for what already happened (bytes beyond the declared size), whatever the bucket holds. */
    void charge(Plan.Charge charge, long tokens) {
        if (tokens > 0) {
            limiter.charge(charge.bucketKey(), charge.spec(), tokens);
        } else if (tokens < 0) {
            limiter.refund(charge.bucketKey(), charge.spec(), -tokens);
        }
    }

    /**
     * An admitted request gives back what a rule that only delays took but held against it (over its key's fair share):
     * a delayed request takes nothing, as when the bucket was empty.
     */
    private void giveBackHeld(Plan plan, Probe[] probes, Probe[] answered) {
        for (int i = 0; i < probes.length; i++) {
            Plan.Charge charge = plan.charges().get(i);
            if (probes[i].consumed() && !answered[i].consumed() && !charge.limit().rule().shadow()) {
                limiter.refund(charge.bucketKey(), charge.spec(), charge.tokens());
            }
        }
    }

    private void giveBack(Plan plan, Probe[] probes, Lease[] won) {
        for (int i = 0; i < probes.length; i++) {
            if (probes[i].consumed()) {
                Plan.Charge charge = plan.charges().get(i);
                limiter.refund(charge.bucketKey(), charge.spec(), charge.tokens());
            }
        }
        for (Lease lease : won) {
            if (lease != null) {
                lease.release();
            }
        }
    }

    private void count(Plan plan, Probe[] probes, Lease[] won) {
        for (int i = 0; i < won.length; i++) {
            ConcurrencyRule rule = plan.holds().get(i).rule().rule();
            counters(rule.name()).count(won[i] != null ? Outcome.ADMITTED
                    : rule.shadow() ? Outcome.SHADOW_REFUSED : Outcome.REFUSED);
        }
        for (int i = 0; i < probes.length; i++) {
            LimitRule rule = plan.charges().get(i).limit().rule();
            Outcome outcome;
            if (probes[i].consumed()) {
                outcome = Outcome.ADMITTED;
            } else if (rule.shadow()) {
                outcome = Outcome.SHADOW_REFUSED;
            } else if (rule.exceeded() == LimitRule.Exceeded.DELAY) {
                outcome = Outcome.DELAYED;
            } else {
                outcome = Outcome.REFUSED;
            }
            counters(rule.name()).count(outcome);
        }
    }

    private RuleCounters counters(String rule) {
        RuleCounters counters = decisions.get(rule);
        return counters != null ? counters : decisions.computeIfAbsent(rule, name -> new RuleCounters(name, registry));
    }

    /** How one rule answered one request, as counted in {@code sluice.limit.decisions}. */
    private enum Outcome { ADMITTED, REFUSED, DELAYED, SHADOW_REFUSED }

    /** One rule's decision counters, created once so that counting allocates nothing. */
    private static final class RuleCounters {
        private final Counter[] byOutcome = new Counter[Outcome.values().length];

        RuleCounters(String rule, MeterRegistry registry) {
            for (Outcome outcome : Outcome.values()) {
                byOutcome[outcome.ordinal()] = Counter.builder(PolicyMeters.DECISIONS.meterName())
                        .description("rule evaluations by outcome")
                        .tag("rule", rule)
                        .tag("outcome", outcome.name().toLowerCase(Locale.ROOT))
                        .register(registry);
            }
        }

        void count(Outcome outcome) {
            byOutcome[outcome.ordinal()].increment();
        }
    }

    /** Where the leases a session wins are kept until it ends. */
    interface LeaseHolder {
        void hold(Lease lease);
    }
}
