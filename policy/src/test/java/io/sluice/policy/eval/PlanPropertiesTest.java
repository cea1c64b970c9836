package io.sluice.policy.eval;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.config.BucketSync;
import io.sluice.config.Cidr;
import io.sluice.config.ConcurrencyRule;
import io.sluice.config.Counted;
import io.sluice.config.LimitRule;
import io.sluice.config.NetPrefixes;
import io.sluice.config.PolicyConfig;
import io.sluice.config.RuleKey;
import io.sluice.config.RuleKey.Stage;
import io.sluice.config.RuleMatch;
import io.sluice.policy.model.Decision;
import io.sluice.policy.model.Facts;
import io.sluice.policy.ratelimit.Probe;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.statistics.StatisticsReport;

/** Planning is a pure function of the policy and the facts, whatever the facts are. */
class PlanPropertiesTest {

    /** Every key with every count it allows, plain and with each kind of condition, and session rules. */
    private static final CompiledPolicy EVERY_RULE = new CompiledPolicy(everyRule());

    @Property
    @StatisticsReport(onFailureOnly = true)
    void planIsDeterministicAndNeverThrows(@ForAll("facts") Facts facts) {
        // Random facts must often meet the conditions of rules, or the plans tested are mostly empty.
        boolean conditionHeld = EVERY_RULE.plan(Stage.RCPT, facts).charges().stream()
                .anyMatch(charge -> !charge.limit().rule().match().isEmpty());
        Statistics.label("a rule with conditions applies").collect(conditionHeld);
        Statistics.label("a rule with conditions applies").coverage(coverage -> coverage.check(true).percentage(p -> p > 20));
        CompiledPolicy recompiled = new CompiledPolicy(EVERY_RULE.config());
        for (Stage stage : Stage.values()) {
            Plan first = EVERY_RULE.plan(stage, facts);
            Plan second = EVERY_RULE.plan(stage, facts);

            assertThat(second).isEqualTo(first);
            assertThat(costs(recompiled.plan(stage, facts)))
                    .as("a fresh compilation plans the same").isEqualTo(costs(first));
        }
    }

    @Property
    void ruleIsChargedOnlyAtItsOwnStageAndUnderItsOwnName(@ForAll("facts") Facts facts) {
        for (Stage stage : Stage.values()) {
            Plan plan = EVERY_RULE.plan(stage, facts);

            for (Plan.Charge charge : plan.charges()) {
                assertThat(charge.limit().rule().stage()).isEqualTo(stage);
                assertThat(charge.bucketKey()).startsWith(charge.limit().rule().name() + "|");
                assertThat(charge.tokens()).isPositive();
            }
            if (stage != Stage.CONNECT) {
                assertThat(plan.holds()).isEmpty();
            }
        }
    }

    @Property
    void onlyAnEnforcingRefusalRefuses(@ForAll("facts") Facts facts, @ForAll("outcomes") List<Boolean> outcomes) {
        for (Stage stage : Stage.values()) {
            Plan plan = EVERY_RULE.plan(stage, facts);
            List<Probe> probes = new ArrayList<>();
            for (int i = 0; i < plan.charges().size(); i++) {
                probes.add(outcomes.get(i % outcomes.size()) ? Probe.consumed(1) : new Probe(false, 0, 1_000));
            }
            List<Boolean> granted = new ArrayList<>();
            for (int i = 0; i < plan.holds().size(); i++) {
                granted.add(outcomes.get((i + 7) % outcomes.size()));
            }

            Decision decision = VerdictsTest.decide(plan, probes, granted);

            boolean enforcedRefusal = false;
            for (int i = 0; i < probes.size(); i++) {
                LimitRule rule = plan.charges().get(i).limit().rule();
                enforcedRefusal |= !probes.get(i).consumed() && !rule.shadow()
                        && rule.exceeded() == LimitRule.Exceeded.REFUSE;
            }
            for (int i = 0; i < granted.size(); i++) {
                enforcedRefusal |= !granted.get(i) && !plan.holds().get(i).rule().rule().shadow();
            }
            assertThat(decision.admitted()).isEqualTo(!enforcedRefusal);
        }
    }

    /** What a plan costs, without the compiled rules' identities. */
    private static List<String> costs(Plan plan) {
        List<String> costs = new ArrayList<>();
        plan.charges().forEach(charge -> costs.add(charge.bucketKey() + " " + charge.tokens()));
        plan.holds().forEach(hold -> costs.add(hold.leaseKey()));
        return costs;
    }

    /** Answers of buckets and the lease store, mostly admissions. */
    @Provide
    Arbitrary<List<Boolean>> outcomes() {
        return Arbitraries.frequency(Tuple.of(4, true), Tuple.of(1, false)).list().ofMinSize(1).ofMaxSize(20);
    }

    @Provide
    Arbitrary<Facts> facts() {
        Arbitrary<String> listener = Arbitraries.of("inbound", "submission", "");
        Arbitrary<String> domain = domains();
        Arbitrary<String> address = Combinators.combine(Arbitraries.strings().ofMaxLength(8), domain)
                .as((local, d) -> local + "@" + d);
        Arbitrary<String> sender = Arbitraries.oneOf(address, Arbitraries.just(""), Arbitraries.strings().ofMaxLength(10))
                .injectNull(0.2);
        Arbitrary<String> recipient = Arbitraries.oneOf(address, Arbitraries.strings().ofMaxLength(10)).injectNull(0.2);
        Arbitrary<String> helo = Arbitraries.oneOf(domain, Arbitraries.strings().ofMaxLength(10)).injectNull(0.2);
        Arbitrary<String> egress = Arbitraries.strings().alpha().ofMaxLength(6).injectNull(0.5);
        return Combinators.combine(listener, addresses(), helo, sender, Arbitraries.longs().between(0, 1L << 40),
                recipient, egress, egress).as((name, ip, greeting, from, size, to, pool, source) ->
                        new Facts(name, ip, greeting, from, size, to, pool, source, null));
    }

    private static Arbitrary<InetAddress> addresses() {
        return Arbitraries.oneOf(Arbitraries.bytes().array(byte[].class).ofSize(4),
                Arbitraries.bytes().array(byte[].class).ofSize(16),
                // In a network the policy names, so that its conditions hold now and then.
                Arbitraries.bytes().array(byte[].class).ofSize(4).map(bytes -> {
                    bytes[0] = 10;
                    return bytes;
                }))
                .map(PlanPropertiesTest::address);
    }

    private static Arbitrary<String> domains() {
        Arbitrary<String> label = Arbitraries.strings().withCharRange('a', 'z').withChars('-', 'E', 'X')
                .ofMinLength(0).ofMaxLength(6);
        Arbitrary<String> random = label.list().ofMinSize(1).ofMaxSize(4).map(labels -> String.join(".", labels));
        return Arbitraries.oneOf(random, Arbitraries.of("example.com", "mail.example.com", "EXAMPLE.com",
                "partner.example", "eu.partner.example", ".", ""));
    }

    private static InetAddress address(byte[] bytes) {
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static PolicyConfig everyRule() {
        List<RuleMatch> conditions = List.of(RuleMatch.NONE, Rules.clientNets("10.0.0.0/8", "2001:db8::/32"),
                Rules.helos("example.com", ".example.com"), Rules.senderDomains(".example.com", "partner.example"),
                Rules.recipientDomains("example.com", ".partner.example"),
                new RuleMatch(List.of(Cidr.parse("10.0.0.0/9")), List.of(), List.of("example.com"), List.of(),
                        List.of(".example.com")));
        List<LimitRule> limits = new ArrayList<>();
        int n = 0;
        for (RuleKey key : RuleKey.values()) {
            for (Counted counts : Counted.values()) {
                for (RuleMatch match : conditions) {
                    for (RuleMatch except : List.of(RuleMatch.NONE, Rules.senderDomains("partner.example"))) {
                        try {
                            LimitRule rule = new LimitRule("r" + n, n % 5 == 0 ? Set.of("inbound") : Set.of(), key,
                                    new NetPrefixes(n % 33, n % 129), counts, Rules.TEN_PER_SECOND, 1 + n % 7,
                                    Optional.empty(), n % 3 == 0 ? LimitRule.Exceeded.DELAY : LimitRule.Exceeded.REFUSE,
                                    Duration.ofSeconds(n % 3 == 0 ? 1 : 0), n % 4 == 0, match, except,
                                    BucketSync.EXACT);
                            limits.add(rule);
                            n++;
                        } catch (IllegalArgumentException disallowed) {
                            // Not every count goes with every key and condition; the config refuses those.
                        }
                    }
                }
            }
        }
        List<ConcurrencyRule> concurrency = List.of(Rules.sessions("s-ip", RuleKey.CLIENT_IP, 3),
                Rules.shadow(Rules.sessions("s-net", RuleKey.CLIENT_NET, 10)),
                Rules.except(Rules.sessions("s-global", RuleKey.GLOBAL, 100), Rules.clientNets("10.0.0.0/8")),
                Rules.listeners(Rules.sessions("s-listener", RuleKey.LISTENER, 50), "submission"));
        return new PolicyConfig(limits, concurrency);
    }
}
