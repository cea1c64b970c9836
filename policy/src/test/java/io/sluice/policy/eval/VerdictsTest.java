package io.sluice.policy.eval;

import static io.sluice.policy.eval.CompiledPolicyTest.facts;
import static io.sluice.policy.eval.CompiledPolicyTest.policy;
import static io.sluice.policy.eval.Rules.delaying;
import static io.sluice.policy.eval.Rules.limit;
import static io.sluice.policy.eval.Rules.reply;
import static io.sluice.policy.eval.Rules.sessions;
import static io.sluice.policy.eval.Rules.shadow;
import static io.sluice.policy.eval.Rules.tarpit;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.config.ConcurrencyRule;
import io.sluice.config.Counted;
import io.sluice.config.LimitRule;
import io.sluice.config.RuleKey;
import io.sluice.config.RuleKey.Stage;
import io.sluice.config.RuleReply;
import io.sluice.policy.model.Decision;
import io.sluice.policy.model.Facts;
import io.sluice.policy.ratelimit.Lease;
import io.sluice.policy.ratelimit.Probe;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** From the buckets' and the lease store's answers to one decision: a pure function. */
class VerdictsTest {

    private static final Facts FACTS = facts("inbound", "198.51.100.7", "client.example", "a@sender.example", 0,
            "b@rcpt.example");
    private static final Probe TAKEN = Probe.consumed(5);
    private static final Probe EMPTY = new Probe(false, 0, Duration.ofMillis(300).toNanos());

    @Test
    void everythingTakenAdmits() {
        Plan plan = plan(Stage.MAIL, List.of(limit("a", RuleKey.CLIENT_IP, Counted.MESSAGES),
                limit("b", RuleKey.SENDER, Counted.MESSAGES)));

        assertThat(decide(plan, List.of(TAKEN, TAKEN), List.of())).isEqualTo(Decision.ADMIT);
    }

    @Test
    void firstRefusingEnforcingRuleDecides() {
        LimitRule second = reply(limit("second", RuleKey.SENDER, Counted.MESSAGES),
                new RuleReply(450, "4.7.1", "Sender over its limit"));
        Plan plan = plan(Stage.MAIL, List.of(limit("first", RuleKey.CLIENT_IP, Counted.MESSAGES), second,
                limit("third", RuleKey.SENDER_DOMAIN, Counted.MESSAGES)));

        Decision decision = decide(plan, List.of(TAKEN, EMPTY, new Probe(false, 0, 1)), List.of());

        assertThat(decision.admitted()).isFalse();
        assertThat(decision.rule()).contains("second");
        assertThat(decision.reply()).isEqualTo(new RuleReply(450, "4.7.1", "Sender over its limit"));
        assertThat(decision.retryAfter()).isEqualTo(Duration.ofMillis(300));
        assertThat(decision.delay()).isZero();
    }

    @Test
    void shadowRuleNeverRefuses() {
        Plan plan = plan(Stage.MAIL, List.of(shadow(limit("shadow", RuleKey.CLIENT_IP, Counted.MESSAGES))));

        assertThat(decide(plan, List.of(EMPTY), List.of())).isEqualTo(Decision.ADMIT);
    }

    @Test
    void shadowRuleRefusingFirstLeavesTheDecisionToTheEnforcingOne() {
        Plan plan = plan(Stage.MAIL, List.of(shadow(limit("shadow", RuleKey.CLIENT_IP, Counted.MESSAGES)),
                limit("enforced", RuleKey.SENDER, Counted.MESSAGES)));

        assertThat(decide(plan, List.of(EMPTY, EMPTY), List.of()).rule()).contains("enforced");
    }

    @Test
    void delayingRuleAdmitsAfterItsTarpit() {
        Plan plan = plan(Stage.RCPT, List.of(delaying(limit("slow-down", RuleKey.CLIENT_IP, Counted.RECIPIENTS),
                Duration.ofSeconds(5))));

        Decision decision = decide(plan, List.of(EMPTY), List.of());

        assertThat(decision.admitted()).isTrue();
        assertThat(decision.delay()).isEqualTo(Duration.ofSeconds(5));
        assertThat(decision.rule()).contains("slow-down");
        assertThat(decision.reply()).isNull();
        assertThat(decision.closes(false)).isFalse();
    }

    @Test
    void delayingRuleWithinItsLimitDoesNotDelay() {
        Plan plan = plan(Stage.RCPT, List.of(delaying(limit("slow-down", RuleKey.CLIENT_IP, Counted.RECIPIENTS),
                Duration.ofSeconds(5))));

        assertThat(decide(plan, List.of(TAKEN), List.of())).isEqualTo(Decision.ADMIT);
    }

    @Test
    void longestTarpitOfTheDelayingRulesIsTheDelay() {
        Plan plan = plan(Stage.RCPT, List.of(
                delaying(limit("short", RuleKey.CLIENT_IP, Counted.RECIPIENTS), Duration.ofSeconds(2)),
                delaying(limit("long", RuleKey.RECIPIENT, Counted.RECIPIENTS), Duration.ofSeconds(7)),
                delaying(limit("medium", RuleKey.SENDER, Counted.RECIPIENTS), Duration.ofSeconds(4))));

        Decision decision = decide(plan, List.of(EMPTY, EMPTY, EMPTY), List.of());

        assertThat(decision).isEqualTo(Decision.delay("long", Duration.ofSeconds(7)));
    }

    @Test
    void refusalWinsOverADelay() {
        Plan plan = plan(Stage.RCPT, List.of(
                delaying(limit("slow-down", RuleKey.CLIENT_IP, Counted.RECIPIENTS), Duration.ofSeconds(2)),
                limit("hard", RuleKey.RECIPIENT, Counted.RECIPIENTS)));

        Decision decision = decide(plan, List.of(EMPTY, EMPTY), List.of());

        assertThat(decision.admitted()).isFalse();
        assertThat(decision.rule()).contains("hard");
    }

    @Test
    void refusingRuleWithATarpitRefusesAfterIt() {
        Plan plan = plan(Stage.MAIL, List.of(tarpit(limit("tarpit", RuleKey.CLIENT_IP, Counted.MESSAGES),
                Duration.ofSeconds(3))));

        Decision decision = decide(plan, List.of(EMPTY), List.of());

        assertThat(decision.admitted()).isFalse();
        assertThat(decision.delay()).isEqualTo(Duration.ofSeconds(3));
    }

    @Test
    void sessionLimitIsCheckedBeforeRates() {
        Plan plan = plan(Stage.CONNECT, List.of(limit("connections", RuleKey.CLIENT_IP, Counted.CONNECTIONS)),
                List.of(sessions("sessions", RuleKey.CLIENT_IP, 2)));

        Decision decision = decide(plan, List.of(EMPTY), List.of(false));

        assertThat(decision.rule()).contains("sessions");
        assertThat(decision.reply()).hasToString("421 4.7.0 Too many concurrent sessions, try again later");
        assertThat(decision.closes(true)).isTrue();
    }

    @Test
    void shadowSessionLimitNeverRefuses() {
        Plan plan = plan(Stage.CONNECT, List.of(), List.of(shadow(sessions("sessions", RuleKey.CLIENT_IP, 2))));

        assertThat(decide(plan, List.of(), List.of(false))).isEqualTo(Decision.ADMIT);
    }

    @Test
    void defaultRepliesAreTemporaryAndFitTheStage() {
        assertThat(defaultReply(Stage.CONNECT, limit("c", RuleKey.CLIENT_IP, Counted.CONNECTIONS)))
                .isEqualTo(new RuleReply(421, "4.7.0", "Too many connections, try again later"));
        assertThat(defaultReply(Stage.MAIL, limit("m", RuleKey.SENDER, Counted.MESSAGES)))
                .isEqualTo(new RuleReply(451, "4.7.1", "Rate limit exceeded, try again later"));
        assertThat(defaultReply(Stage.MAIL, limit("b", RuleKey.SENDER, Counted.BYTES)))
                .isEqualTo(new RuleReply(451, "4.7.1", "Rate limit exceeded, try again later"));
        assertThat(defaultReply(Stage.RCPT, limit("r", RuleKey.CLIENT_IP, Counted.RECIPIENTS)))
                .isEqualTo(new RuleReply(452, "4.5.3", "Too many recipients now, try the rest later"));
        assertThat(defaultReply(Stage.RCPT, limit("d", RuleKey.RECIPIENT_DOMAIN, Counted.MESSAGES)).code())
                .as("messages counted at RCPT are still a rate").isEqualTo(451);
    }

    @Test
    void refusalAtConnectAnd421CloseTheConnectionOthersDoNot() {
        Decision connect = decide(plan(Stage.CONNECT,
                List.of(limit("c", RuleKey.CLIENT_IP, Counted.CONNECTIONS))), List.of(EMPTY), List.of());
        Decision mail = decide(plan(Stage.MAIL, List.of(limit("m", RuleKey.SENDER, Counted.MESSAGES))),
                List.of(EMPTY), List.of());
        Decision mail421 = decide(plan(Stage.MAIL, List.of(reply(limit("m", RuleKey.SENDER,
                Counted.MESSAGES), new RuleReply(421, "4.7.0", "Go away")))), List.of(EMPTY), List.of());

        assertThat(connect.closes(true)).isTrue();
        assertThat(mail.closes(false)).isFalse();
        assertThat(mail421.closes(false)).isTrue();
        assertThat(Decision.ADMIT.closes(true)).isFalse();
    }

    private static RuleReply defaultReply(Stage stage, LimitRule rule) {
        Decision decision = decide(plan(stage, List.of(rule)), List.of(EMPTY), List.of());
        assertThat(decision.admitted()).isFalse();
        return decision.reply();
    }

    private static Plan plan(Stage stage, List<LimitRule> limits) {
        return plan(stage, limits, List.of());
    }

    private static Plan plan(Stage stage, List<LimitRule> limits, List<ConcurrencyRule> concurrency) {
        Plan plan = policy(limits, concurrency).plan(stage, FACTS);
        assertThat(plan.charges()).as("every rule applies").hasSize(limits.size());
        assertThat(plan.holds()).hasSize(concurrency.size());
        return plan;
    }

    /** Verdicts over lists: a granted hold gets a lease that does nothing, a refused one none. */
    static Decision decide(Plan plan, List<Probe> probes, List<Boolean> granted) {
        Lease[] won = new Lease[granted.size()];
        for (int i = 0; i < won.length; i++) {
            won[i] = granted.get(i) ? () -> { } : null;
        }
        return Verdicts.decide(plan, probes.toArray(Probe[]::new), won);
    }
}
