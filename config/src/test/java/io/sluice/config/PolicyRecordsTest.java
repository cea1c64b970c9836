package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The records' own checks, for policies built in code (tests, the admin API) rather than bound from YAML. */
class PolicyRecordsTest {

    private static final Rate RATE = new Rate(10, Duration.ofSeconds(1));

    @Test
    void bytesRuleKnownByMailIsAccepted() {
        LimitRule rule = LimitRule.of("bytes", RuleKey.SENDER_DOMAIN, Counted.BYTES, RATE, 100);

        assertThat(rule.stage()).isEqualTo(RuleKey.Stage.MAIL);
    }

    @Test
    void bytesRuleKnownOnlyAtRcptIsRefused() {
        assertThatThrownBy(() -> LimitRule.of("bytes", RuleKey.RECIPIENT_DOMAIN, Counted.BYTES, RATE, 100))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("known by MAIL");
    }

    @Test
    void rulesMayNameTheConfigsListeners() throws ConfigException {
        LimitRule base = LimitRule.of("per-ip", RuleKey.CLIENT_IP, Counted.CONNECTIONS, RATE, 10);
        LimitRule onMx = new LimitRule(base.name(), Set.of("mx"), base.key(), base.prefixes(), base.counts(),
                base.rate(), base.burst(), Optional.empty(), base.exceeded(), base.tarpit(), base.shadow(),
                base.match(), base.except(), base.sync());
        SluiceConfig config = ConfigLoader.parse("""
                listeners: [{name: mx, role: inbound, bind: "127.0.0.1:2525", backend-pool: mta}]
                backends: {mta: {servers: ["127.0.0.1:2526"]}}
                """, "minimal.yaml");

        PolicyConfig policy = new PolicyConfig(List.of(onMx), List.of());
        PolicyConfig elsewhere = new PolicyConfig(List.of(), List.of(new ConcurrencyRule("sessions",
                Set.of("relay"), RuleKey.GLOBAL, NetPrefixes.DEFAULT, 5, Optional.empty(), false, RuleMatch.NONE,
                RuleMatch.NONE)));

        assertThat(config.withPolicy(ClusterConfig.STANDALONE, policy).policy()).isEqualTo(policy);
        assertThatThrownBy(() -> config.withPolicy(ClusterConfig.STANDALONE, elsewhere))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("rule sessions: listener relay (expected: a listener)");
    }

    @Test
    void ruleNamesAreUniqueAcrossKinds() {
        assertThatThrownBy(() -> new PolicyConfig(List.of(LimitRule.of("x", RuleKey.GLOBAL, Counted.MESSAGES, RATE,
                1)), List.of(ConcurrencyRule.of("x", RuleKey.GLOBAL, 1))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("rule name x (expected: unique)");
    }
}
