package io.sluice.policy.eval;

import io.sluice.config.LimitRule;
import io.sluice.config.RetryPriority;
import io.sluice.config.RuleKey;
import io.sluice.config.RuleKey.Stage;
import io.sluice.config.RuleMatch;
import io.sluice.policy.fairshare.FairShareBook;
import io.sluice.policy.model.Decision;
import io.sluice.policy.model.Facts;
import io.sluice.policy.override.LimitOverride;
import io.sluice.policy.ratelimit.Lease;
import io.sluice.policy.ratelimit.Probe;
import io.sluice.policy.retry.MarkKey;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The live policy as operators look into it: one key's bucket or slots, a reset of a bucket, and what a
 * hypothetical session would be told. Looking takes nothing: no token, no slot, no mark, no count of demand; it asks
 * the engine's own verdicts ({@link Verdicts}) of what the buckets, the marks and the fair-share books hold now.
 */
public final class PolicyInspector {

    private static final Lease LOOKED_AT = () -> { };
    // A fair-share rule this node has no books of yet: it saw no demand, so no key is capped.
    private static final FairShareBook.Look NOTHING_SEEN = new FairShareBook.Look(Double.POSITIVE_INFINITY, null);

    private final PolicyEngine engine;

    public PolicyInspector(PolicyEngine engine) {
        this.engine = engine;
    }

    /** Whether the policy in force has a rule of that name. */
    public boolean hasRule(String rule) {
        CompiledPolicy policy = engine.policy();
        return policy.limit(rule).isPresent() || policy.concurrency(rule).isPresent();
    }

    /** Whether the rule's key or conditions read the client's address, so that looking at it needs one. */
    public boolean readsClientAddress(String rule) {
        CompiledPolicy policy = engine.policy();
        return policy.limit(rule).map(limit -> readsClientAddress(limit.rule().key(), limit.rule().match(),
                        limit.rule().except()))
                .or(() -> policy.concurrency(rule).map(concurrency -> readsClientAddress(concurrency.rule().key(),
                        concurrency.rule().match(), concurrency.rule().except())))
                .orElse(false);
    }

    private static boolean readsClientAddress(RuleKey key, RuleMatch match, RuleMatch except) {
        return key == RuleKey.CLIENT_IP || key == RuleKey.CLIENT_NET || !match.clientNets().isEmpty()
                || !except.clientNets().isEmpty();
    }

    /**
     * What the rule holds for the key these facts give it now.
     *
     * @return empty when the rule does not apply to the facts (or the policy has no such rule)
     */
    public CompletableFuture<Optional<RuleState>> state(String rule, Facts facts) {
        CompiledPolicy policy = engine.policy();
        long now = engine.clock().millis();
        Optional<CompiledLimit> limit = policy.limit(rule);
        if (limit.isPresent()) {
            Plan.Charge charge = limit.get().charge(facts, now);
            if (charge == null) {
                return CompletableFuture.completedFuture(Optional.empty());
            }
            return engine.limiter().available(charge.bucketKey(), charge.spec()).thenApply(tokens -> Optional.of(
                    new RuleState(rule, keyOf(limit.get(), facts), false, charge.spec().capacity(), tokens,
                            Optional.ofNullable(charge.override()))));
        }
        Optional<CompiledConcurrency> concurrency = policy.concurrency(rule);
        Plan.Hold hold = concurrency.map(compiled -> compiled.hold(facts, now)).orElse(null);
        if (hold == null) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        return engine.leases().held(hold.leaseKey()).thenApply(held -> Optional.of(
                new RuleState(rule, keyOf(concurrency.get(), facts), true, hold.max(), Math.max(0, hold.max() - held),
                        Optional.ofNullable(hold.override()))));
    }

    /**
     * Refills the rate limit's bucket for the key these facts give it: its next request finds it full.
     *
     * @return the key reset, or empty when the rule is no rate limit or does not apply to the facts
     */
    public CompletableFuture<Optional<String>> reset(String rule, Facts facts) {
        Optional<CompiledLimit> limit = engine.policy().limit(rule);
        Plan.Charge charge = limit.map(compiled -> compiled.charge(facts, engine.clock().millis())).orElse(null);
        if (charge == null) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        String key = keyOf(limit.get(), facts);
        return engine.limiter().reset(charge.bucketKey()).thenApply(ignored -> Optional.of(key));
    }

    /**
     * What a session with these facts would be told, from its connection to its last recipient, if it came now.
     *
     * @param connect the facts at connection (listener and client address)
     * @param sender the envelope sender; empty for the null sender
     * @param recipients at least one
     */
    public CompletableFuture<Explanation> explain(Facts connect, String helo, String sender, long size,
                                                  List<String> recipients) {
        if (recipients.isEmpty()) {
            throw new IllegalArgumentException("recipients: none (expected: at least one)");
        }
        CompiledPolicy policy = engine.policy();
        RetryPriority retry = policy.config().retryPriority();
        // As the session's MAIL would find the sender: the same look at the marks, which changes nothing.
        long firstDeferred = engine.firstDeferred(MarkKey.of(connect.clientIp(), sender));
        long now = engine.clock().millis();
        Explanation.RetryStanding standing = new Explanation.RetryStanding(retry.enabled(), retry.reservedShare(),
                firstDeferred >= 0, firstDeferred >= 0 ? OptionalLong.of(firstDeferred) : OptionalLong.empty(),
                retry.keptShare(firstDeferred, now));
        Walk walk = new Walk(policy, now, standing);
        Facts atMail = connect.withHelo(helo).withSender(sender, size);
        CompletableFuture<Boolean> going = walk.step(Stage.CONNECT, connect, null)
                .thenCompose(admitted -> admitted ? walk.step(Stage.HELO, connect.withHelo(helo), null) : done(false))
                .thenCompose(admitted -> admitted ? walk.step(Stage.MAIL, atMail, null) : done(false));
        for (String recipient : recipients) {
            going = going.thenCompose(admitted -> admitted
                    ? walk.step(Stage.RCPT, atMail.withRecipient(recipient), recipient)
                    : done(false));
        }
        return going.thenApply(ignored -> walk.explanation(recipients.size()));
    }

    private static CompletableFuture<Boolean> done(boolean value) {
        return CompletableFuture.completedFuture(value);
    }

    private static String keyOf(CompiledLimit limit, Facts facts) {
        return Keys.value(limit.rule().key(), limit.rule().prefixes(), facts);
    }

    private static String keyOf(CompiledConcurrency rule, Facts facts) {
        return Keys.value(rule.rule().key(), rule.rule().prefixes(), facts);
    }

    /** One explanation under way: the steps so far, and what they would have taken from each bucket. */
    private final class Walk {
        private final CompiledPolicy policy;
        private final long now;
        private final Explanation.RetryStanding retry;
        private final List<Explanation.Step> steps = new ArrayList<>();
        private final Map<String, Long> taken = new HashMap<>();
        private final Set<String> chargedOnce = new HashSet<>();

        Walk(CompiledPolicy policy, long now, Explanation.RetryStanding retry) {
            this.policy = policy;
            this.now = now;
            this.retry = retry;
        }

        /**
         * Asks one request; completes with whether the session goes on to its next request: after an admission, or
         * after a refused recipient unless the refusal closes the connection.
         */
        CompletableFuture<Boolean> step(Stage stage, Facts facts, String subject) {
            // One time for every step, so that every step sees the same overrides.
            Plan plan = withoutChargedOnce(policy.plan(stage, facts, now));
            if (plan.isEmpty() && subject == null) {
                return done(true);
            }
            List<CompletableFuture<Long>> available = new ArrayList<>();
            plan.charges().forEach(charge -> available.add(engine.limiter().available(charge.bucketKey(),
                    charge.spec())));
            plan.holds().forEach(hold -> available.add(engine.leases().held(hold.leaseKey())
                    .thenApply(held -> (long) Math.max(0, hold.max() - held))));
            return CompletableFuture.allOf(available.toArray(CompletableFuture[]::new))
                    .thenApply(ignored -> decide(stage, facts, subject, plan, available));
        }

        private boolean decide(Stage stage, Facts facts, String subject, Plan plan,
                               List<CompletableFuture<Long>> available) {
            int charges = plan.charges().size();
            Probe[] probes = new Probe[charges];
            Lease[] won = new Lease[plan.holds().size()];
            List<Explanation.RuleCheck> checks = new ArrayList<>();
            for (int i = 0; i < plan.holds().size(); i++) {
                Plan.Hold hold = plan.holds().get(i);
                long free = available.get(charges + i).join();
                won[i] = free >= 1 ? LOOKED_AT : null;
                checks.add(new Explanation.RuleCheck(hold.rule().rule().name(), keyOf(hold.rule(), facts), 1, free,
                        free >= 1, hold.rule().rule().shadow(), id(hold.override())));
            }
            long[] left = new long[charges];
            for (int i = 0; i < charges; i++) {
                Plan.Charge charge = plan.charges().get(i);
                left[i] = available.get(i).join() - taken.getOrDefault(charge.bucketKey(), 0L);
                boolean enough = left[i] >= charge.tokens();
                probes[i] = new Probe(enough, enough ? left[i] - charge.tokens() : left[i], 0);
            }
            // The engine's verdict on what the buckets hold: the reserve as this sender meets it (the session knows
            // its sender from MAIL on), then the fair shares as the books stand now, looked at without counting.
            RetryPriority priority = policy.config().retryPriority();
            double kept = Verdicts.keptAt(stage, retry.keptShare());
            double keptFirstTime = Verdicts.keptAt(stage, priority.keptShare(-1, now));
            Probe[] answered = Verdicts.withReserve(plan, probes, kept);
            FairShareBook.Look[] looks = new FairShareBook.Look[charges];
            FairShareBook.Share[] shares = new FairShareBook.Share[charges];
            for (int i = 0; i < charges; i++) {
                Plan.Charge charge = plan.charges().get(i);
                if (charge.shareKey() != null) {
                    long key = FairShareBook.keyOf(charge.shareKey());
                    looks[i] = engine.fairShares().find(charge.bucketKey())
                            .map(book -> book.look(key, now))
                            .orElse(NOTHING_SEEN);
                    shares[i] = looks[i].share();
                }
            }
            Probe[] beforeShares = answered;
            answered = Verdicts.withShares(plan, answered, shares, now);
            for (int i = 0; i < charges; i++) {
                Plan.Charge charge = plan.charges().get(i);
                Optional<Explanation.FairShareCheck> fairShare = Optional.empty();
                if (looks[i] != null) {
                    FairShareBook.Share share = shares[i];
                    double level = looks[i].level();
                    fairShare = Optional.of(new Explanation.FairShareCheck(charge.shareKey(),
                            share == null ? OptionalDouble.empty() : OptionalDouble.of(share.allowance()),
                            share == null ? 0 : share.taken(), answered[i] != beforeShares[i],
                            Double.isInfinite(level) ? OptionalDouble.empty() : OptionalDouble.of(level)));
                }
                Optional<Explanation.ReserveCheck> reserve = Optional.empty();
                if (priority.enabled() && stage != Stage.CONNECT && !charge.limit().rule().shadow()
                        && charge.limit().rule().exceeded() == LimitRule.Exceeded.REFUSE) {
                    reserve = Optional.of(new Explanation.ReserveCheck(Verdicts.floor(charge, keptFirstTime),
                            Verdicts.inReserve(probes[i], charge, keptFirstTime)));
                }
                checks.add(new Explanation.RuleCheck(charge.limit().rule().name(), keyOf(charge.limit(), facts),
                        charge.tokens(), left[i], answered[i].consumed(), charge.limit().rule().shadow(),
                        id(charge.override()), fairShare, reserve));
            }
            probes = answered;
            Decision decision = Verdicts.decide(plan, probes, won);
            if (decision.admitted()) {
                for (int i = 0; i < charges; i++) {
                    Plan.Charge charge = plan.charges().get(i);
                    if (probes[i].consumed()) {
                        taken.merge(charge.bucketKey(), charge.tokens(), Long::sum);
                    }
                    if (charge.limit().oncePerTransaction()) {
                        chargedOnce.add(charge.bucketKey());
                    }
                }
            }
            steps.add(new Explanation.Step(stage, Optional.ofNullable(subject), decision, checks));
            return decision.admitted() || (stage == Stage.RCPT && !decision.closes(false));
        }

        private Plan withoutChargedOnce(Plan plan) {
            List<Plan.Charge> charges = plan.charges().stream()
                    .filter(charge -> !(charge.limit().oncePerTransaction() && chargedOnce.contains(charge.bucketKey())))
                    .toList();
            return new Plan(plan.stage(), charges, plan.holds());
        }

        Explanation explanation(int recipients) {
            Explanation.Step last = steps.get(steps.size() - 1);
            Explanation.Outcome outcome;
            if (!last.decision().admitted() && last.stage() == Stage.CONNECT) {
                outcome = Explanation.Outcome.CONNECTION_REFUSED;
            } else if (!last.decision().admitted() && last.stage() != Stage.RCPT) {
                outcome = Explanation.Outcome.MESSAGE_REFUSED;
            } else if (last.decision().closes(false)) {
                // A refused recipient that closes the connection ends the transaction with it.
                outcome = Explanation.Outcome.MESSAGE_REFUSED;
            } else {
                long accepted = steps.stream()
                        .filter(step -> step.stage() == Stage.RCPT && step.decision().admitted())
                        .count();
                outcome = accepted == 0 ? Explanation.Outcome.RECIPIENTS_REFUSED
                        : accepted < recipients ? Explanation.Outcome.PARTIALLY_ADMITTED
                        : Explanation.Outcome.ADMITTED;
            }
            return new Explanation(steps, outcome, retry);
        }
    }

    private static Optional<String> id(LimitOverride override) {
        return Optional.ofNullable(override).map(LimitOverride::id);
    }
}
