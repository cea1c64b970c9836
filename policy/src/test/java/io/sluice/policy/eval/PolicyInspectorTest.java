package io.sluice.policy.eval;

import static io.sluice.policy.eval.CompiledPolicyTest.address;
import static io.sluice.policy.eval.Rules.clientNets;
import static io.sluice.policy.eval.Rules.limit;
import static io.sluice.policy.eval.Rules.sessions;
import static io.sluice.policy.eval.Rules.shadow;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.config.Counted;
import io.sluice.config.LimitRule;
import io.sluice.config.RetryPriority;
import io.sluice.config.OverrideSpec;
import io.sluice.config.PolicyConfig;
import io.sluice.config.Rate;
import io.sluice.config.RuleKey;
import io.sluice.config.RuleKey.Stage;
import io.sluice.policy.fairshare.LocalFairShares;
import io.sluice.policy.model.Facts;
import io.sluice.policy.override.LocalOverrideStore;
import io.sluice.policy.ratelimit.LocalLeaseStore;
import io.sluice.policy.ratelimit.LocalRateLimiter;
import io.sluice.policy.ratelimit.ManualClock;
import io.sluice.policy.retry.LocalDeferredSenders;
import io.sluice.policy.retry.MarkKey;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Looking into the live policy takes nothing, and tells what a real session would be told. */
class PolicyInspectorTest {

    private static final Rate PER_HOUR = new Rate(1, Duration.ofHours(1));
    private static final PolicyConfig POLICY = new PolicyConfig(List.of(
            limit("per-ip", RuleKey.CLIENT_IP, Counted.CONNECTIONS, PER_HOUR, 5),
            limit("per-sender", RuleKey.SENDER_DOMAIN, Counted.MESSAGES, PER_HOUR, 3),
            limit("recipients", RuleKey.CLIENT_IP, Counted.RECIPIENTS, PER_HOUR, 2),
            shadow(limit("watch", RuleKey.GLOBAL, Counted.RECIPIENTS, PER_HOUR, 1))),
            List.of(sessions("sessions", RuleKey.CLIENT_IP, 4)));

    private final OverridesTest.MutableClock clock = new OverridesTest.MutableClock(
            Instant.parse("2026-11-22T18:00:00Z"));
    private final PolicyEngine engine = new PolicyEngine(POLICY, new LocalRateLimiter(ManualClock.monotonic()),
            new LocalLeaseStore(), new SimpleMeterRegistry(), clock);
    private final PolicyInspector inspector = new PolicyInspector(engine);

    @Test
    void explainsEachStepWithEveryRuleAndAPartialAdmission() {
        Explanation explanation = explain("198.51.100.7", "a@one.example", "x@to.example", "y@to.example",
                "z@to.example");

        assertThat(explanation.outcome()).isEqualTo(Explanation.Outcome.PARTIALLY_ADMITTED);
        assertThat(explanation.steps()).extracting(step -> step.stage(), step -> step.subject().orElse(""),
                        step -> step.decision().admitted())
                .containsExactly(tuple(Stage.CONNECT, "", true), tuple(Stage.MAIL, "", true),
                        tuple(Stage.RCPT, "x@to.example", true), tuple(Stage.RCPT, "y@to.example", true),
                        tuple(Stage.RCPT, "z@to.example", false));
        Explanation.Step third = explanation.steps().get(4);
        assertThat(third.decision().rule()).contains("recipients");
        assertThat(third.decision().reply().toString()).startsWith("452 4.5.3 ");
        assertThat(third.rules()).extracting(Explanation.RuleCheck::rule, Explanation.RuleCheck::available,
                        Explanation.RuleCheck::enough, Explanation.RuleCheck::shadow)
                .as("tokens the earlier steps would take count, and a shadow rule never decides")
                .containsExactly(tuple("recipients", 0L, false, false), tuple("watch", 0L, false, true));
        assertThat(explanation.steps().get(0).rules()).extracting(Explanation.RuleCheck::rule,
                Explanation.RuleCheck::key).containsExactly(tuple("sessions", "198.51.100.7"),
                tuple("per-ip", "198.51.100.7"));
    }

    @Test
    void explainingTakesNoTokenAndNoSlot() {
        for (int i = 0; i < 10; i++) {
            explain("198.51.100.7", "a@one.example", "x@to.example");
        }

        assertThat(state("per-ip", facts("198.51.100.7")).available()).isEqualTo(5);
        assertThat(state("sessions", facts("198.51.100.7")).available()).isEqualTo(4);
    }

    @Test
    void aRefusedConnectionEndsTheExplanation() {
        for (int i = 0; i < 5; i++) {
            SessionLimits session = engine.openSession("mx", address("198.51.100.7"));
            assertThat(session.connect().join().admitted()).isTrue();
            session.close();
        }

        Explanation explanation = explain("198.51.100.7", "a@one.example", "x@to.example");

        assertThat(explanation.outcome()).isEqualTo(Explanation.Outcome.CONNECTION_REFUSED);
        assertThat(explanation.steps()).singleElement().satisfies(step -> {
            assertThat(step.decision().rule()).contains("per-ip");
            assertThat(step.decision().reply().toString()).startsWith("421 4.7.0 ");
        });
    }

    @Test
    void aBucketShowsItsTokensAndOverrideAndAResetRefillsIt() {
        SessionLimits session = engine.openSession("mx", address("198.51.100.7"));
        session.connect().join();
        new LocalOverrideStore(engine, clock).add(new OverrideSpec("per-sender", clientNets("198.51.100.0/24"), 2,
                clock.instant().plusSeconds(60), ""), "alice").join();
        Facts mail = facts("198.51.100.7").withSender("a@one.example", 0);
        session.mail("a@one.example", 0).join();

        RuleState perIp = state("per-ip", facts("198.51.100.7"));
        RuleState perSender = state("per-sender", mail);

        assertThat(perIp).extracting(RuleState::key, RuleState::limit, RuleState::available)
                .containsExactly("198.51.100.7", 5L, 4L);
        assertThat(perSender.limit()).as("doubled by the override").isEqualTo(6);
        assertThat(perSender.available()).isEqualTo(5);
        assertThat(perSender.override()).isPresent();

        assertThat(inspector.reset("per-ip", facts("198.51.100.7")).join()).contains("198.51.100.7");
        assertThat(state("per-ip", facts("198.51.100.7")).available()).isEqualTo(5);
    }

    @Test
    void aRuleThatDoesNotApplyOrDoesNotExistHasNoState() {
        assertThat(inspector.state("per-sender", facts("198.51.100.7")).join()).as("no sender yet").isEmpty();
        assertThat(inspector.state("nope", facts("198.51.100.7")).join()).isEmpty();
        assertThat(inspector.hasRule("nope")).isFalse();
        assertThat(inspector.readsClientAddress("per-ip")).isTrue();
        assertThat(inspector.readsClientAddress("per-sender")).isFalse();
    }

    @Test
    void explainShowsTheRetryReserveAsAFirstTimeAndAReturningSenderMeetIt() {
        // 10 messages an hour, 3 of them (30%) reserved for returning senders; 7 taken by other senders.
        PolicyConfig policy = new PolicyConfig(List.of(limit("global", RuleKey.GLOBAL, Counted.MESSAGES, PER_HOUR,
                10)), List.of());
        PolicyEngine engine = new PolicyEngine(policy, new LocalRateLimiter(ManualClock.monotonic()),
                new LocalLeaseStore(), new SimpleMeterRegistry(), clock);
        for (int i = 0; i < 7; i++) {
            SessionLimits other = engine.openSession("mx", address("203.0.113.9"));
            assertThat(other.mail("other" + i + "@two.example", 0).join().admitted()).isTrue();
        }
        PolicyInspector inspector = new PolicyInspector(engine);

        long markKey = MarkKey.of(address("198.51.100.7"), "a@one.example");
        Explanation firstTime = inspector.explain(facts("198.51.100.7"), "client.example", "a@one.example", 0,
                List.of("x@to.example")).join();
        assertThat(engine.firstDeferred(markKey)).as("explaining a refusal left no mark").isEqualTo(-1);
        engine.deferred(markKey);
        Explanation returning = inspector.explain(facts("198.51.100.7"), "client.example", "a@one.example", 0,
                List.of("x@to.example")).join();

        assertThat(firstTime.retry().returning()).isFalse();
        assertThat(firstTime.retry().firstDeferred()).isEmpty();
        assertThat(firstTime.outcome()).as("the 3 tokens left are the reserve")
                .isEqualTo(Explanation.Outcome.MESSAGE_REFUSED);
        Explanation.RuleCheck refused = firstTime.steps().get(0).rules().get(0);
        assertThat(refused.available()).as("the bucket has the tokens").isEqualTo(3);
        assertThat(refused.enough()).isFalse();
        assertThat(refused.reserve()).contains(new Explanation.ReserveCheck(3, true));

        assertThat(returning.retry().returning()).isTrue();
        assertThat(returning.retry().firstDeferred()).isPresent();
        assertThat(returning.outcome()).as("a returning sender takes the reserve").isEqualTo(
                Explanation.Outcome.ADMITTED);
        assertThat(returning.steps().get(0).rules().get(0).reserve()).as("it would still refuse a first-time sender")
                .contains(new Explanation.ReserveCheck(3, true));
    }

    @Test
    void explainLooksAtAFairShareRuleWithoutMakingItsBooks() {
        LimitRule plain = limit("friday", RuleKey.GLOBAL, Counted.MESSAGES, new Rate(10, Duration.ofSeconds(1)), 10);
        LimitRule fair = new LimitRule(plain.name(), plain.listeners(), plain.key(), plain.prefixes(), plain.counts(),
                plain.rate(), plain.burst(), plain.reply(), plain.exceeded(), plain.tarpit(), plain.shadow(),
                plain.match(), plain.except(), plain.sync(), Optional.of(RuleKey.CLIENT_NET));
        LocalFairShares shares = new LocalFairShares(clock);
        PolicyEngine engine = new PolicyEngine(new PolicyConfig(List.of(fair), List.of(), RetryPriority.OFF),
                new LocalRateLimiter(ManualClock.monotonic()), new LocalLeaseStore(), new SimpleMeterRegistry(), clock,
                new LocalDeferredSenders(RetryPriority.OFF, clock), shares);
        String bucketKey = engine.policy().plan(Stage.MAIL, facts("198.51.100.7").withSender("a@one.example", 0))
                .charges().get(0).bucketKey();

        Explanation explanation = new PolicyInspector(engine).explain(facts("198.51.100.7"), "client.example",
                "a@one.example", 0, List.of("x@to.example")).join();

        Explanation.FairShareCheck check = explanation.steps().get(0).rules().get(0).fairShare().orElseThrow();
        assertThat(check.key()).isEqualTo("198.51.100.0/24");
        assertThat(check.level()).as("no demand seen: no water level, nobody capped").isEmpty();
        assertThat(check.allowance()).isEmpty();
        assertThat(check.overShare()).isFalse();
        assertThat(shares.find(bucketKey)).as("explaining made no books").isEmpty();
    }

    private Explanation explain(String client, String sender, String... recipients) {
        return inspector.explain(facts(client), "client.example", sender, 0, List.of(recipients)).join();
    }

    private RuleState state(String rule, Facts facts) {
        Optional<RuleState> state = inspector.state(rule, facts).join();
        assertThat(state).as(rule).isPresent();
        return state.get();
    }

    private static Facts facts(String client) {
        return Facts.connect("mx", address(client));
    }

}
