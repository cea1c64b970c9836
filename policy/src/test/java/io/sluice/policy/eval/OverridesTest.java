package io.sluice.policy.eval;

import static io.sluice.policy.eval.CompiledPolicyTest.address;
import static io.sluice.policy.eval.Rules.clientNets;
import static io.sluice.policy.eval.Rules.limit;
import static io.sluice.policy.eval.Rules.sessions;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.config.Counted;
import io.sluice.config.OverrideSpec;
import io.sluice.config.PolicyConfig;
import io.sluice.config.Rate;
import io.sluice.config.RuleKey;
import io.sluice.config.RuleKey.Stage;
import io.sluice.config.RuleMatch;
import io.sluice.policy.model.Facts;
import io.sluice.policy.override.LimitOverride;
import io.sluice.policy.override.LocalOverrideStore;
import io.sluice.policy.ratelimit.BucketSpec;
import io.sluice.policy.ratelimit.LocalLeaseStore;
import io.sluice.policy.ratelimit.LocalRateLimiter;
import io.sluice.policy.ratelimit.ManualClock;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** An override changes its rule where it matches, until it expires; the newest of several wins. */
class OverridesTest {

    private static final Instant START = Instant.parse("2026-11-22T18:00:00Z");
    private static final PolicyConfig POLICY = new PolicyConfig(
            List.of(limit("per-ip", RuleKey.CLIENT_IP, Counted.CONNECTIONS, new Rate(30, Duration.ofMinutes(1)), 60)),
            List.of(sessions("sessions", RuleKey.CLIENT_IP, 20)));

    private final MutableClock clock = new MutableClock(START);
    private final PolicyEngine engine = new PolicyEngine(POLICY, new LocalRateLimiter(ManualClock.monotonic()),
            new LocalLeaseStore(), new SimpleMeterRegistry(), clock);
    private final LocalOverrideStore overrides = new LocalOverrideStore(engine, clock);

    @Test
    void whereItMatchesTheRuleIsScaledInFreshBucketsAndElsewhereItIsNot() {
        LimitOverride triple = add("per-ip", clientNets("198.51.100.0/24"), 3, Duration.ofHours(2));

        Plan.Charge partner = charge("198.51.100.7");
        Plan.Charge other = charge("203.0.113.9");

        assertThat(partner.spec().capacity()).isEqualTo(180);
        assertThat(partner.spec().refillTokens()).isEqualTo(90);
        assertThat(partner.spec().refillPeriod()).isEqualTo(Duration.ofMinutes(1));
        assertThat(partner.override()).isEqualTo(triple);
        assertThat(other.spec()).isEqualTo(BucketSpec.of(POLICY.limits().get(0)));
        assertThat(other.override()).isNull();
        assertThat(partner.bucketKey()).isNotEqualTo(charge("198.51.100.7", engine.policy().config()).bucketKey());
    }

    @Test
    void aConcurrencyOverrideChangesTheMostSessionsButNotTheKey() {
        add("sessions", clientNets("198.51.100.0/24"), 0.5, Duration.ofHours(1));

        Plan.Hold hold = engine.policy().plan(Stage.CONNECT, facts("198.51.100.7")).holds().get(0);

        assertThat(hold.max()).isEqualTo(10);
        assertThat(hold.leaseKey()).isEqualTo("sessions|198.51.100.7");
    }

    @Test
    void atItsExpiryItStopsApplyingAndLeavesTheList() {
        add("per-ip", RuleMatch.NONE, 2, Duration.ofMinutes(10));

        clock.advance(Duration.ofMinutes(10).minusMillis(1));
        assertThat(charge("198.51.100.7").override()).isNotNull();
        assertThat(overrides.list()).hasSize(1);

        clock.advance(Duration.ofMillis(1));
        assertThat(charge("198.51.100.7").override()).as("expired, though the snapshot still has it").isNull();
        assertThat(overrides.list()).isEmpty();
        assertThat(engine.policy().overrides()).as("the snapshot follows the list").isEmpty();
    }

    @Test
    void theNewestMatchingOverrideWinsAndRemovingItUncoversTheOlder() {
        add("per-ip", clientNets("198.51.100.0/24"), 2, Duration.ofHours(1));
        clock.advance(Duration.ofSeconds(1));
        LimitOverride newer = add("per-ip", clientNets("198.51.100.7/32"), 5, Duration.ofHours(1));

        assertThat(charge("198.51.100.7").spec().capacity()).isEqualTo(300);
        assertThat(charge("198.51.100.8").spec().capacity()).isEqualTo(120);

        assertThat(overrides.remove(newer.id()).join()).isTrue();
        assertThat(overrides.remove(newer.id()).join()).as("a second time").isFalse();
        assertThat(charge("198.51.100.7").spec().capacity()).isEqualTo(120);
    }

    @Test
    void aPolicyChangeKeepsTheOverrides() {
        add("per-ip", RuleMatch.NONE, 2, Duration.ofHours(1));

        engine.replace(new PolicyConfig(List.of(limit("per-ip", RuleKey.CLIENT_IP, Counted.CONNECTIONS,
                new Rate(10, Duration.ofMinutes(1)), 10)), List.of()));

        assertThat(charge("198.51.100.7").spec().capacity()).isEqualTo(20);
    }

    @Test
    void anOverrideLetsMoreConnectionsThroughWhereItMatches() {
        PolicyEngine tight = new PolicyEngine(new PolicyConfig(List.of(limit("one", RuleKey.CLIENT_IP,
                Counted.CONNECTIONS, new Rate(1, Duration.ofHours(1)), 1)), List.of()),
                new LocalRateLimiter(ManualClock.monotonic()), new LocalLeaseStore(), new SimpleMeterRegistry(), clock);
        new LocalOverrideStore(tight, clock).add(new OverrideSpec("one", clientNets("198.51.100.0/24"), 3,
                START.plus(Duration.ofHours(1)), ""), "alice").join();

        assertThat(admitted(tight, "198.51.100.7", 5)).isEqualTo(3);
        assertThat(admitted(tight, "203.0.113.9", 5)).isEqualTo(1);
    }

    private static int admitted(PolicyEngine engine, String client, int sessions) {
        int admitted = 0;
        for (int i = 0; i < sessions; i++) {
            CompletableFuture<io.sluice.policy.model.Decision> decision =
                    engine.openSession("mx", address(client)).connect();
            admitted += decision.join().admitted() ? 1 : 0;
        }
        return admitted;
    }

    private LimitOverride add(String rule, RuleMatch match, double factor, Duration lifetime) {
        return overrides.add(new OverrideSpec(rule, match, factor, clock.instant().plus(lifetime), "test"), "alice")
                .join();
    }

    private Plan.Charge charge(String client) {
        return engine.policy().plan(Stage.CONNECT, facts(client)).charges().get(0);
    }

    private static Plan.Charge charge(String client, PolicyConfig without) {
        return new CompiledPolicy(without).plan(Stage.CONNECT, facts(client)).charges().get(0);
    }

    private static Facts facts(String client) {
        return Facts.connect("mx", address(client));
    }


    /** A wall clock that moves only when the test says so. */
    static final class MutableClock extends Clock {
        private volatile Instant now;

        MutableClock(Instant start) {
            this.now = start;
        }

        void advance(Duration duration) {
            now = now.plus(duration);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }
}
