package io.sluice.policy.eval;

import static io.sluice.policy.eval.CompiledPolicyTest.address;
import static io.sluice.policy.eval.Rules.limit;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.config.Counted;
import io.sluice.config.LimitRule;
import io.sluice.config.PolicyConfig;
import io.sluice.config.Rate;
import io.sluice.config.RetryPriority;
import io.sluice.config.RuleKey;
import io.sluice.policy.PolicyMeters;
import io.sluice.policy.cluster.LimitStore;
import io.sluice.policy.model.Decision;
import io.sluice.policy.ratelimit.ManualClock;
import io.sluice.policy.retry.SteppedClock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A tight global rate limit with the default reserved share (0.3 of a burst of 10: 3 tokens): first-time senders
 * take 7, a sender deferred once comes back and takes from the reserve, and what it is admitted after is measured.
 */
class RetryPriorityTest {

    private static final String LISTENER = "inbound";
    private static final long START = 1_767_225_600_000L;

    private final ManualClock buckets = ManualClock.monotonic();
    private final SteppedClock clock = new SteppedClock(START);
    private final LimitStore store = LimitStore.local(buckets);
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @Test
    void firstTimeSendersLeaveTheReserveToReturningOnes() {
        PolicyEngine engine = engine(RetryPriority.DEFAULT);
        CompiledLimit global = engine.policy().limits().get(0);

        for (int i = 0; i < 7; i++) {
            assertThat(mail(engine, "198.51.100." + i, "first" + i + "@sender.example").admitted()).isTrue();
        }
        Decision refused = mail(engine, "203.0.113.9", "late@Sender.example");
        assertThat(refused.admitted()).as("a first-time sender at the reserve").isFalse();
        assertThat(refused.reply().code()).isEqualTo(451);
        assertThat(refused.retryAfter()).as("one token short of leaving the reserve").isEqualTo(Duration.ofMinutes(6));
        assertThat(available(engine, global)).as("the tokens taken went back").isEqualTo(3);
        assertThat(registry.counter(PolicyMeters.RETRY_DEFERRALS.meterName()).count()).isEqualTo(1);

        clock.advance(Duration.ofMinutes(20));
        SessionLimits back = engine.openSession(LISTENER, address("203.0.113.77"));
        assertThat(back.connect().join().admitted()).isTrue();
        assertThat(back.mail("LATE@sender.example", 0).join().admitted()).as("the same /24 and sender, returning")
                .isTrue();
        assertThat(back.returning()).isTrue();
        assertThat(back.reservedShare()).isZero();
        assertThat(registry.counter(PolicyMeters.RETRY_ADMITTED.meterName()).count())
                .as("admitted once a recipient is").isZero();
        assertThat(back.rcpt("someone@rcpt.example").join().admitted()).isTrue();
        assertThat(back.rcpt("another@rcpt.example").join().admitted()).isTrue();
        assertThat(registry.counter(PolicyMeters.RETRY_ADMITTED.meterName()).count()).isEqualTo(1);
        assertThat(registry.timer(PolicyMeters.RETRY_DELAY.meterName()).totalTime(TimeUnit.MINUTES))
                .as("from the start of the generation of the first deferral").isEqualTo(20);

        assertThat(mail(engine, "192.0.2.1", "new@sender.example").admitted()).as("first-time: still refused")
                .isFalse();
        assertThat(available(engine, global)).isEqualTo(2);
    }

    @Test
    void withTiersTheLongerAgoASenderWasFirstDeferredTheDeeperItTakesIntoTheReserve() {
        RetryPriority defaults = RetryPriority.DEFAULT;
        PolicyEngine engine = engine(new RetryPriority(true, defaults.reservedShare(), defaults.markTtl(),
                defaults.generations(), defaults.capacity(), defaults.falsePositiveRate(), 3));
        CompiledLimit global = engine.policy().limits().get(0);
        for (int i = 0; i < 7; i++) {
            assertThat(mail(engine, "198.51.100." + i, "first" + i + "@sender.example").admitted()).isTrue();
        }
        assertThat(mail(engine, "203.0.113.1", "old@sender.example").admitted()).isFalse();
        clock.advance(Duration.ofMinutes(30));
        assertThat(mail(engine, "203.0.113.2", "recent@sender.example").admitted()).isFalse();
        clock.advance(Duration.ofMinutes(5));

        // 3 tokens left. First deferred in this generation: kept out of 0.2 of the bucket, 2 tokens.
        SessionLimits recent = session(engine, "203.0.113.2");
        assertThat(recent.mail("recent@sender.example", 0).join().admitted()).isTrue();
        assertThat(recent.reservedShare()).isCloseTo(0.2, within(1e-9));
        Decision again = session(engine, "203.0.113.2").mail("recent@sender.example", 0).join();
        assertThat(again.admitted()).as("at its tier's floor").isFalse();
        assertThat(again.retryAfter()).as("one token short of its floor").isEqualTo(Duration.ofMinutes(6));

        // First deferred two generations ago: the oldest tier, which takes the last tokens.
        SessionLimits old = session(engine, "203.0.113.1");
        assertThat(old.mail("old@sender.example", 0).join().admitted()).isTrue();
        assertThat(old.reservedShare()).isZero();
        assertThat(session(engine, "203.0.113.1").mail("old@sender.example", 0).join().admitted()).isTrue();
        assertThat(available(engine, global)).isZero();
        assertThat(registry.timer(PolicyMeters.RETRY_DELAY.meterName()).count()).as("counted at a recipient").isZero();
    }

    @Test
    void withPriorityOffFirstTimeSendersTakeTheWholeBucketAndLeaveNoMark() {
        PolicyEngine engine = engine(RetryPriority.OFF);

        for (int i = 0; i < 10; i++) {
            assertThat(mail(engine, "198.51.100." + i, "first" + i + "@sender.example").admitted()).isTrue();
        }
        assertThat(mail(engine, "203.0.113.9", "late@sender.example").admitted()).isFalse();
        assertThat(registry.counter(PolicyMeters.RETRY_DEFERRALS.meterName()).count()).isZero();
        assertThat(engine.marks().memoryBytes()).isZero();
    }

    @Test
    void aRecipientRefusedLeavesAMarkToo() {
        LimitRule recipients = limit("recipients", RuleKey.GLOBAL, Counted.RECIPIENTS,
                new Rate(1, Duration.ofHours(1)), 1);
        PolicyEngine engine = new PolicyEngine(new PolicyConfig(List.of(recipients), List.of()), store.limiter(),
                store.leases(), registry, clock);
        SessionLimits session = engine.openSession(LISTENER, address("198.51.100.7"));
        session.connect().join();
        session.mail("a@sender.example", 0).join();
        assertThat(session.rcpt("one@rcpt.example").join().admitted()).isTrue();
        assertThat(session.rcpt("two@rcpt.example").join().admitted()).isFalse();

        SessionLimits next = engine.openSession(LISTENER, address("198.51.100.8"));
        next.connect().join();
        next.mail("a@sender.example", 0).join();
        assertThat(next.returning()).isTrue();
    }

    private PolicyEngine engine(RetryPriority retry) {
        LimitRule global = limit("global", RuleKey.GLOBAL, Counted.MESSAGES, new Rate(10, Duration.ofHours(1)), 10);
        return new PolicyEngine(new PolicyConfig(List.of(global), List.of(), retry), store.limiter(), store.leases(),
                registry, clock);
    }

    private SessionLimits session(PolicyEngine engine, String client) {
        SessionLimits session = engine.openSession(LISTENER, address(client));
        assertThat(session.connect().join().admitted()).isTrue();
        return session;
    }

    private Decision mail(PolicyEngine engine, String client, String sender) {
        SessionLimits session = engine.openSession(LISTENER, address(client));
        assertThat(session.connect().join().admitted()).isTrue();
        return session.mail(sender, 0).join();
    }

    private long available(PolicyEngine engine, CompiledLimit limit) {
        return engine.limiter().available(
                limit.charge(engine.openSession(LISTENER, address("192.0.2.99")).facts().withSender("x@y.example", 0),
                        0).bucketKey(), limit.spec()).join();
    }
}
