package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** An override request is read against the policy in force: its rule, conditions, factor and expiry. */
class OverrideBindingTest {

    private static final Instant NOW = Instant.parse("2026-11-22T18:00:00Z");
    private static final PolicyConfig POLICY = new PolicyConfig(List.of(
            LimitRule.of("per-ip", RuleKey.CLIENT_IP, Counted.CONNECTIONS, Rate.parse("30/1m"), 60),
            LimitRule.of("per-sender", RuleKey.SENDER_DOMAIN, Counted.MESSAGES, Rate.parse("100/1m"), 100)),
            List.of(ConcurrencyRule.of("sessions", RuleKey.CLIENT_IP, 20)));

    @Test
    void readsTheRuleTheConditionsTheFactorAndAnAbsoluteExpiry() throws ConfigException {
        OverrideSpec spec = parse("""
                rule: per-ip
                match: { client-net: ["198.51.100.0/24"] }
                factor: 3
                until: "2026-11-22T20:00:00+01:00"
                reason: partner migration
                """);

        assertThat(spec.rule()).isEqualTo("per-ip");
        assertThat(spec.match().clientNets()).containsExactly(Cidr.parse("198.51.100.0/24"));
        assertThat(spec.factor()).isEqualTo(3.0);
        assertThat(spec.expires()).isEqualTo(Instant.parse("2026-11-22T19:00:00Z"));
        assertThat(spec.reason()).isEqualTo("partner migration");
    }

    @Test
    void aDurationCountsFromNowAndTheMatchMayBeLeftOut() throws ConfigException {
        OverrideSpec spec = parse("{\"rule\": \"sessions\", \"factor\": 0.5, \"for\": \"90m\"}");

        assertThat(spec.expires()).isEqualTo(NOW.plus(Duration.ofMinutes(90)));
        assertThat(spec.match()).isEqualTo(RuleMatch.NONE);
        assertThat(spec.factor()).isEqualTo(0.5);
        assertThat(spec.reason()).isEmpty();
    }

    @Test
    void everyProblemIsReportedWithItsPathAndLine() {
        ConfigException e = catchThrowableOfType(() -> parse("""
                rule: per-ip
                match: { sender-domain: [example.com] }
                factor: 0
                until: tomorrow
                for: 1h
                colour: red
                """), ConfigException.class);

        assertThat(e.errors()).extracting(error -> error.line() + " " + error.path() + ": " + error.message())
                .containsExactly(
                        "2 match.sender-domain: a list (expected: only client-net conditions for rule"
                                + " per-ip)",
                        "3 factor: \"0\" (expected: a decimal above 0 and at most 1000, such as 3 or 0.5)",
                        "5 for: \"1h\" (expected: exactly one of until (a time) and for (a duration))",
                        "6 colour: unknown key (expected one of: rule, match, factor, until, for, reason)");
    }

    @Test
    void theRuleMustBeOneOfThePolicysAndTheExpiryInTheNext30Days() {
        ConfigException unknown = catchThrowableOfType(() -> parse("{rule: nope, factor: 2, for: 1h}"),
                ConfigException.class);
        ConfigException past = catchThrowableOfType(() -> parse(
                "{rule: per-ip, factor: 2, until: \"2026-11-22T17:00:00Z\"}"), ConfigException.class);
        ConfigException far = catchThrowableOfType(() -> parse("{rule: per-ip, factor: 2, for: 31d}"),
                ConfigException.class);
        ConfigException huge = catchThrowableOfType(() -> parse("{rule: per-ip, factor: 1001, for: 1h}"),
                ConfigException.class);

        assertThat(unknown.errors()).singleElement().satisfies(error -> assertThat(error.message())
                .isEqualTo("\"nope\" (expected: the name of a rule of the policy in force: per-ip, per-sender,"
                        + " sessions)"));
        assertThat(past.errors()).singleElement().satisfies(error -> assertThat(error.message())
                .contains("a time in the future (now is 2026-11-22T18:00:00Z)"));
        assertThat(far.errors()).singleElement().satisfies(error -> assertThat(error.message())
                .contains("at most 30 days from now"));
        assertThat(huge.errors()).singleElement().satisfies(error -> assertThat(error.path()).isEqualTo("factor"));
    }

    @Test
    void aMessageRuleMayMatchOnTheSenderDomain() throws ConfigException {
        OverrideSpec spec = parse("{rule: per-sender, match: {sender-domain: [.example.com]}, factor: 10, for: 2h}");

        assertThat(spec.match().senderDomains()).containsExactly(".example.com");
    }

    private static OverrideSpec parse(String text) throws ConfigException {
        return ConfigLoader.parseOverride(text, "request body", POLICY, NOW);
    }
}
