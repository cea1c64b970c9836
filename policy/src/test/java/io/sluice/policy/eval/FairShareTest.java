package io.sluice.policy.eval;

import static io.sluice.policy.eval.CompiledPolicyTest.address;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.config.Counted;
import io.sluice.config.LimitRule;
import io.sluice.config.PolicyConfig;
import io.sluice.config.Rate;
import io.sluice.config.RetryPriority;
import io.sluice.config.RuleKey;
import io.sluice.policy.PolicyMeters;
import io.sluice.policy.cluster.LimitStore;
import io.sluice.policy.fairshare.LocalFairShares;
import io.sluice.policy.fairshare.MaxMinShares;
import io.sluice.policy.model.Decision;
import io.sluice.policy.ratelimit.ManualClock;
import io.sluice.policy.retry.LocalDeferredSenders;
import io.sluice.policy.retry.SteppedClock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * A global message rate shared fairly across client networks, on one node, in simulated time (the buckets' and the
 * windows' clocks move together, a request every few milliseconds): the acceptance scenario of one heavy network
 * offering 80% and fifty small ones 20% under a limit of a quarter of what is offered, with and without fair share.
 */
class FairShareTest {

    private static final String LISTENER = "inbound";
    private static final long START = 1_767_225_600_000L;
    private static final int SMALL = 50;
    /** Offered: 200 messages a second, one every 5 ms; the limit a quarter of it. */
    private static final Duration STEP = Duration.ofMillis(5);
    private static final Rate QUARTER = new Rate(50, Duration.ofSeconds(1));
    private static final Duration RUN = Duration.ofSeconds(30);

    private final ManualClock buckets = ManualClock.monotonic();
    private final SteppedClock clock = new SteppedClock(START);
    private final LimitStore store = LimitStore.local(buckets);
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @Test
    void aHeavyNetworkGetsItsFairShareAndTheSmallOnesTheirDemand() {
        Run fair = run(true, 0.8);
        Run unfair = new FairShareTest().run(false, 0.8);

        double capacity = QUARTER.tokens() * RUN.toSeconds() + QUARTER.tokens();
        assertThat(fair.jain(capacity)).as("Jain's index with fair share").isGreaterThanOrEqualTo(0.9);
        assertThat(unfair.jain(capacity)).as("Jain's index without").isBetween(0.2, 0.4);
        assertThat(fair.admittedTotal()).as("the bucket still bounds the total")
                .isLessThanOrEqualTo((long) capacity);
        assertThat(fair.admittedTotal()).as("work-conserving: the budget is used")
                .isGreaterThanOrEqualTo((long) (0.95 * capacity));
        assertThat(registry.find(PolicyMeters.FAIR_SHARE_REFUSED.meterName()).tag("rule", "friday").counter()
                .count()).as("refusals for fair share, counted per rule").isPositive();
    }

    @Test
    void underTheLimitNobodyIsRefusedForFairness() {
        // 60% of the capacity offered, 80% of it by one network.
        Run run = run(true, 0.8, Duration.ofMillis(1000 / 30));
        assertThat(run.admittedTotal()).isEqualTo(run.offeredTotal());
        assertThat(registry.find(PolicyMeters.FAIR_SHARE_REFUSED.meterName()).tag("rule", "friday").counter()
                .count()).as("served before any refusal, at 0").isZero();
    }

    @Test
    void aNetworkAloneTakesTheWholeBudget() {
        Run run = run(true, 1.0);
        double capacity = QUARTER.tokens() * RUN.toSeconds() + QUARTER.tokens();
        assertThat(run.admitted[0]).as("nobody else asks: the heavy network's fair share is all of it")
                .isGreaterThanOrEqualTo((long) (0.95 * capacity));
    }

    @Test
    void explainShowsARefusalForFairShareApartFromAnEmptyBucket() {
        run(true, 0.8, STEP, Duration.ofMillis(3_500));
        assertThat(heavyUntilHeld().admitted()).as("the heavy network has taken its share so far").isFalse();
        PolicyInspector inspector = new PolicyInspector(engine);

        Explanation heavy = inspector.explain(facts(network(0)), "h.example", "a@sender.example", 0,
                List.of("b@rcpt.example")).join();
        Explanation small = inspector.explain(facts(network(1)), "h.example", "a@sender.example", 0,
                List.of("b@rcpt.example")).join();

        // No rule asks at connection or HELO: the message's step is the only one.
        Explanation.Step heavyMail = heavy.steps().get(0);
        assertThat(heavyMail.stage()).isEqualTo(RuleKey.Stage.MAIL);
        assertThat(heavyMail.decision().admitted()).isFalse();
        assertThat(heavyMail.decision().reply().code()).isEqualTo(451);
        Explanation.RuleCheck heavyCheck = heavyMail.rules().get(0);
        assertThat(heavyCheck.available()).as("the bucket has a token for it").isPositive();
        assertThat(heavyCheck.enough()).isFalse();
        Explanation.FairShareCheck heavyShare = heavyCheck.fairShare().orElseThrow();
        assertThat(heavyShare.key()).isEqualTo("127.16.0.0/24");
        assertThat(heavyShare.overShare()).isTrue();
        assertThat(heavyShare.allowance()).isPresent();
        assertThat(heavyShare.taken()).as("its share, and what the bucket had to spare").isPositive();
        assertThat(heavyShare.level()).as("the cap of every network this window").isPresent();
        assertThat(heavyShare.allowance().getAsDouble()).isLessThanOrEqualTo(heavyShare.level().getAsDouble());

        Explanation.RuleCheck smallCheck = small.steps().get(0).rules().get(0);
        assertThat(small.outcome()).isEqualTo(Explanation.Outcome.ADMITTED);
        assertThat(smallCheck.fairShare()).map(Explanation.FairShareCheck::overShare).contains(false);
        assertThat(smallCheck.fairShare().orElseThrow().allowance()).as("under the level: not capped").isEmpty();
    }

    @Test
    void aDelayRuleGivesBackTheTokensOfARequestOverItsShare() {
        exceeded = LimitRule.Exceeded.DELAY;
        run(true, 0.8, STEP, Duration.ofMillis(3_500));
        assertThat(heavyUntilHeld().delay()).as("the heavy network has taken its share so far").isPositive();
        PolicyInspector inspector = new PolicyInspector(engine);

        long before = available(inspector);
        Decision heavy = mail(network(0));
        long after = available(inspector);

        assertThat(before).as("the bucket has a token for it").isPositive();
        assertThat(heavy.delay()).as("over its share: delayed, though the bucket had tokens").isPositive();
        assertThat(heavy.rule()).contains("friday");
        assertThat(after).as("what it took goes back").isEqualTo(before);
    }

    @Test
    void aRequestsTokensCountInTheWindowItsDemandCountedIn() {
        run(true, 0.8, STEP, Duration.ofMillis(3_500));
        SessionLimits session = engine.openSession(LISTENER, address(network(0)));
        assertThat(session.connect().join().admitted()).isTrue();
        // Late in the window, under its paced share; the next reading of the clock is in the next window.
        clock.set(START + 3_700);
        clock.tickEachRead(Duration.ofMillis(300));
        Decision heavy = session.mail("a@sender.example", 0).join();
        clock.tickEachRead(Duration.ZERO);
        assertThat(heavy).isEqualTo(Decision.ADMIT);

        clock.set(START + 4_000);
        Explanation.FairShareCheck next = new PolicyInspector(engine).explain(facts(network(0)), "h.example",
                "a@sender.example", 0, List.of("b@rcpt.example")).join().steps().get(0).rules().get(0).fairShare()
                .orElseThrow();
        assertThat(next.allowance()).as("capped in the next window too").isPresent();
        assertThat(next.taken()).as("the next window starts with nothing taken").isZero();
    }

    /** Mails from the heavy network, at most ten times, until one is refused or delayed; the last decision. */
    private Decision heavyUntilHeld() {
        Decision decision = mail(network(0));
        for (int i = 1; i < 10 && decision.equals(Decision.ADMIT); i++) {
            decision = mail(network(0));
        }
        return decision;
    }

    private long available(PolicyInspector inspector) {
        return inspector.explain(facts(network(1)), "h.example", "a@sender.example", 0, List.of("b@rcpt.example"))
                .join().steps().get(0).rules().get(0).available();
    }

    private PolicyEngine engine;
    private LimitRule.Exceeded exceeded = LimitRule.Exceeded.REFUSE;

    private Run run(boolean fairShare, double heavyShare) {
        return run(fairShare, heavyShare, STEP);
    }

    private Run run(boolean fairShare, double heavyShare, Duration step) {
        return run(fairShare, heavyShare, step, RUN);
    }

    /** Offers a message every {@code step} for {@code length}, from networks by smooth weighted round robin. */
    private Run run(boolean fairShare, double heavyShare, Duration step, Duration length) {
        LimitRule plain = LimitRule.of("friday", RuleKey.GLOBAL, Counted.MESSAGES, QUARTER, QUARTER.tokens());
        LimitRule rule = new LimitRule(plain.name(), plain.listeners(), plain.key(), plain.prefixes(), plain.counts(),
                plain.rate(), plain.burst(), plain.reply(), exceeded,
                exceeded == LimitRule.Exceeded.DELAY ? Duration.ofSeconds(1) : plain.tarpit(), plain.shadow(),
                plain.match(), plain.except(), plain.sync(), fairShare ? Optional.of(RuleKey.CLIENT_NET)
                : Optional.empty());
        PolicyConfig config = new PolicyConfig(List.of(rule), List.of(), RetryPriority.OFF);
        engine = new PolicyEngine(config, store.limiter(), store.leases(), registry, clock,
                new LocalDeferredSenders(RetryPriority.OFF, clock), new LocalFairShares(clock));
        double[] weights = new double[SMALL + 1];
        weights[0] = heavyShare;
        for (int i = 1; i <= SMALL; i++) {
            weights[i] = (1 - heavyShare) / SMALL;
        }
        double[] current = new double[weights.length];
        Run run = new Run(weights.length);
        long steps = length.toNanos() / step.toNanos();
        for (long s = 0; s < steps; s++) {
            int next = 0;
            for (int i = 0; i < weights.length; i++) {
                current[i] += weights[i];
                if (current[i] > current[next]) {
                    next = i;
                }
            }
            current[next] -= 1;
            run.offered[next]++;
            if (mail(network(next)).admitted()) {
                run.admitted[next]++;
            }
            buckets.advance(step);
            clock.advance(step);
        }
        return run;
    }

    private Decision mail(String client) {
        SessionLimits session = engine.openSession(LISTENER, address(client));
        assertThat(session.connect().join().admitted()).isTrue();
        return session.mail("a@sender.example", 0).join();
    }

    private static io.sluice.policy.model.Facts facts(String client) {
        return io.sluice.policy.model.Facts.connect(LISTENER, address(client));
    }

    /** Network 0 is the heavy one, 127.16.0.0/24; 1 to 50 the small ones, 127.17.n.0/24. */
    private static String network(int n) {
        return n == 0 ? "127.16.0.9" : "127.17." + n + ".9";
    }

    /** What each network offered and was admitted. */
    private static final class Run {
        final long[] offered;
        final long[] admitted;

        Run(int networks) {
            offered = new long[networks];
            admitted = new long[networks];
        }

        long admittedTotal() {
            return java.util.Arrays.stream(admitted).sum();
        }

        long offeredTotal() {
            return java.util.Arrays.stream(offered).sum();
        }

        /** Jain's index over admitted / demand-capped fair share, of the networks that offered anything. */
        double jain(double capacity) {
            double[] demands = java.util.Arrays.stream(offered).filter(o -> o > 0).asDoubleStream().toArray();
            double[] shares = MaxMinShares.shares(capacity, demands);
            double[] ratios = new double[shares.length];
            int j = 0;
            for (int i = 0; i < offered.length; i++) {
                if (offered[i] > 0) {
                    ratios[j] = admitted[i] / shares[j];
                    j++;
                }
            }
            return MaxMinShares.jain(ratios);
        }
    }
}
