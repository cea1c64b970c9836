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
import io.sluice.config.OverrideSpec;
import io.sluice.config.PolicyConfig;
import io.sluice.config.Rate;
import io.sluice.config.RuleKey;
import io.sluice.config.RuleKey.Stage;
import io.sluice.policy.model.Facts;
import io.sluice.policy.override.LocalOverrideStore;
import io.sluice.policy.ratelimit.LocalLeaseStore;
import io.sluice.policy.ratelimit.LocalRateLimiter;
import io.sluice.policy.ratelimit.ManualClock;
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
