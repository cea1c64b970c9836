package io.sluice.policy.eval;

import static io.sluice.policy.eval.CompiledPolicyTest.address;
import static io.sluice.policy.eval.Rules.limit;
import static io.sluice.policy.eval.Rules.sessions;
import static io.sluice.policy.eval.Rules.shadow;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.config.ConcurrencyRule;
import io.sluice.config.Counted;
import io.sluice.config.LimitRule;
import io.sluice.config.PolicyConfig;
import io.sluice.config.Rate;
import io.sluice.config.RetryPriority;
import io.sluice.config.RuleKey;
import io.sluice.config.RuleKey.Stage;
import io.sluice.config.RuleReply;
import io.sluice.policy.PolicyMeters;
import io.sluice.policy.cluster.LimitStore;
import io.sluice.policy.fairshare.FairShareBook;
import io.sluice.policy.fairshare.FairShares;
import io.sluice.policy.model.Decision;
import io.sluice.policy.model.Facts;
import io.sluice.policy.ratelimit.ManualClock;
import io.sluice.policy.retry.DeferredSenders;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Sessions asking the engine at each stage, against local buckets and leases on a clock the test moves. */
class PolicyEngineTest {

    private static final String LISTENER = "inbound";
    private static final RuleReply TOO_MANY_RECIPIENTS =
            new RuleReply(452, "4.5.3", "Too many recipients now, try the rest later");

    private final ManualClock clock = ManualClock.monotonic();
    private final LimitStore store = LimitStore.local(clock);
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @Test
    void recipientsOverTheBurstAreRefusedOneByOneAndAdmittedAgainAfterARefill() {
        PolicyEngine engine = engine(List.of(limit("recipients", RuleKey.CLIENT_IP, Counted.RECIPIENTS,
                new Rate(10, Duration.ofSeconds(1)), 3)), List.of());
        SessionLimits session = connected(engine, "198.51.100.7");
        assertThat(get(session.mail("a@sender.example", 0)).admitted()).isTrue();

        for (int i = 1; i <= 3; i++) {
            assertThat(get(session.rcpt("r" + i + "@rcpt.example"))).as("RCPT %d", i).isEqualTo(Decision.ADMIT);
        }
        for (int i = 4; i <= 5; i++) {
            Decision refused = get(session.rcpt("r" + i + "@rcpt.example"));
            assertThat(refused.admitted()).as("RCPT %d", i).isFalse();
            assertThat(refused.reply()).isEqualTo(TOO_MANY_RECIPIENTS);
            assertThat(refused.rule()).contains("recipients");
            assertThat(refused.retryAfter()).isEqualTo(Duration.ofMillis(100));
            assertThat(refused.closes(false)).as("a 452 keeps the connection").isFalse();
        }

        clock.advance(Duration.ofMillis(200));

        assertThat(get(session.rcpt("r4@rcpt.example")).admitted()).isTrue();
        assertThat(get(session.rcpt("r5@rcpt.example")).admitted()).isTrue();
        assertThat(get(session.rcpt("r6@rcpt.example")).admitted()).isFalse();
        assertThat(decisions("recipients", "admitted")).isEqualTo(5);
        assertThat(decisions("recipients", "refused")).isEqualTo(3);
    }

    @Test
    void messagesByRecipientDomainAreChargedOncePerDomainAndTransaction() {
        PolicyEngine engine = engine(List.of(limit("messages-to-domain", RuleKey.RECIPIENT_DOMAIN, Counted.MESSAGES,
                new Rate(1, Duration.ofHours(1)), 10)), List.of());
        CompiledLimit rule = engine.policy().limits().get(0);
        SessionLimits session = connected(engine, "198.51.100.7");

        get(session.mail("a@sender.example", 0));
        assertThat(get(session.rcpt("one@Rcpt.example")).admitted()).isTrue();
        assertThat(get(session.rcpt("two@rcpt.example")).admitted()).isTrue();
        assertThat(get(session.rcpt("three@other.example")).admitted()).isTrue();

        assertThat(available(engine, rule, session.facts().withRecipient("x@rcpt.example")))
                .as("two recipients at one domain, one message").isEqualTo(9);
        assertThat(available(engine, rule, session.facts().withRecipient("x@other.example"))).isEqualTo(9);

        session.endTransaction();
        get(session.rcpt("four@rcpt.example"));
        assertThat(available(engine, rule, session.facts().withRecipient("x@rcpt.example")))
                .as("a new transaction is a new message").isEqualTo(8);

        get(session.mail("b@sender.example", 0));
        get(session.rcpt("five@rcpt.example"));
        get(session.rcpt("six@rcpt.example"));
        assertThat(available(engine, rule, session.facts().withRecipient("x@rcpt.example")))
                .as("MAIL starts a new transaction").isEqualTo(7);
    }

    @Test
    void refusalGivesBackWhatOtherRulesOfTheRequestTook() {
        PolicyEngine engine = engine(List.of(
                limit("by-sender-domain", RuleKey.SENDER_DOMAIN, Counted.MESSAGES, new Rate(1, Duration.ofHours(1)), 5),
                limit("by-client", RuleKey.CLIENT_IP, Counted.MESSAGES, new Rate(1, Duration.ofHours(1)), 1)),
                List.of());
        CompiledLimit bySenderDomain = engine.policy().limits().get(0);
        SessionLimits session = connected(engine, "198.51.100.7");

        assertThat(get(session.mail("a@sender.example", 0)).admitted()).isTrue();
        assertThat(available(engine, bySenderDomain, session.facts())).isEqualTo(4);

        Decision refused = get(session.mail("a@sender.example", 0));

        assertThat(refused.rule()).contains("by-client");
        assertThat(refused.reply().code()).isEqualTo(451);
        assertThat(available(engine, bySenderDomain, session.facts())).as("its token came back").isEqualTo(4);
        assertThat(decisions("by-sender-domain", "admitted")).isEqualTo(2);
        assertThat(decisions("by-client", "refused")).isEqualTo(1);
    }

    @Test
    void sessionsPerClientAreLimitedAndClosingOneFreesItsSlot() {
        PolicyEngine engine = engine(List.of(), List.of(sessions("sessions-per-ip", RuleKey.CLIENT_IP, 2)));
        SessionLimits first = connected(engine, "198.51.100.7");
        connected(engine, "198.51.100.7");

        SessionLimits third = engine.openSession(LISTENER, address("198.51.100.7"));
        Decision refused = get(third.connect());

        assertThat(refused.admitted()).isFalse();
        assertThat(refused.reply()).hasToString("421 4.7.0 Too many concurrent sessions, try again later");
        assertThat(refused.closes(true)).isTrue();
        assertThat(get(store.leases().held("sessions-per-ip|198.51.100.7"))).isEqualTo(2);
        assertThat(get(engine.openSession(LISTENER, address("198.51.100.8")).connect()).admitted())
                .as("another client").isTrue();

        first.close();
        first.close();

        assertThat(get(store.leases().held("sessions-per-ip|198.51.100.7"))).isEqualTo(1);
        assertThat(get(engine.openSession(LISTENER, address("198.51.100.7")).connect()).admitted()).isTrue();
        assertThat(get(engine.openSession(LISTENER, address("198.51.100.7")).connect()).admitted()).isFalse();
        assertThat(decisions("sessions-per-ip", "admitted")).isEqualTo(4);
        assertThat(decisions("sessions-per-ip", "refused")).isEqualTo(2);
    }

    @Test
    void refusedConnectionHoldsNoSlot() {
        PolicyEngine engine = engine(List.of(limit("connections", RuleKey.CLIENT_IP, Counted.CONNECTIONS,
                new Rate(1, Duration.ofHours(1)), 1)), List.of(sessions("sessions-per-ip", RuleKey.CLIENT_IP, 5)));
        connected(engine, "198.51.100.7");

        Decision refused = get(engine.openSession(LISTENER, address("198.51.100.7")).connect());

        assertThat(refused.rule()).contains("connections");
        assertThat(refused.reply()).hasToString("421 4.7.0 Too many connections, try again later");
        assertThat(get(store.leases().held("sessions-per-ip|198.51.100.7"))).as("the slot it won went back")
                .isEqualTo(1);
    }

    @Test
    void leaseArrivingAfterItsHolderEndedIsReleased() {
        HeldLeases held = new HeldLeases();

        held.release();
        get(store.leases().acquire("sessions-per-ip|198.51.100.7", 2)).ifPresent(held::hold);

        assertThat(get(store.leases().held("sessions-per-ip|198.51.100.7"))).isZero();
    }

    @Test
    void closingTheEngineClosesItsMarksAndFairShares() {
        AtomicInteger closed = new AtomicInteger();
        DeferredSenders marks = new DeferredSenders() {
            @Override
            public boolean mark(long key) {
                return false;
            }

            @Override
            public long firstDeferred(long key) {
                return -1;
            }

            @Override
            public long memoryBytes() {
                return 0;
            }

            @Override
            public long maxBytes() {
                return 0;
            }

            @Override
            public void close() {
                closed.incrementAndGet();
            }
        };
        FairShares shares = new FairShares() {
            @Override
            public FairShareBook book(String bucketKey, double tokensPerMilli) {
                throw new AssertionError("no fair-share rule here");
            }

            @Override
            public Optional<FairShareBook> find(String bucketKey) {
                return Optional.empty();
            }

            @Override
            public void close() {
                closed.addAndGet(10);
            }
        };
        PolicyEngine engine = new PolicyEngine(new PolicyConfig(List.of(), List.of(), RetryPriority.OFF),
                store.limiter(), store.leases(), registry, Clock.systemUTC(), marks, shares);

        engine.close();

        assertThat(closed).as("marks once, shares once").hasValue(11);
    }

    @Test
    void declaredSizeIsChargedAtMailAndSettledToTheRealSizeAfterTheData() {
        // Without retry priority: the whole bucket is this one sender's (RetryPriorityTest has the reserved share).
        PolicyEngine engine = new PolicyEngine(new PolicyConfig(List.of(limit("bytes", RuleKey.SENDER, Counted.BYTES,
                new Rate(1_000, Duration.ofSeconds(1)), 10_000)), List.of(), RetryPriority.OFF), store.limiter(),
                store.leases(), registry);
        CompiledLimit bytes = engine.policy().limits().get(0);
        SessionLimits session = connected(engine, "198.51.100.7");

        assertThat(get(session.mail("a@sender.example", 4_000)).admitted()).isTrue();
        assertThat(available(engine, bytes, session.facts())).isEqualTo(6_000);

        session.dataEnd(3_000);
        assertThat(available(engine, bytes, session.facts())).as("smaller than declared: refunded").isEqualTo(7_000);
        session.dataEnd(50_000);
        assertThat(available(engine, bytes, session.facts())).as("settled once only").isEqualTo(7_000);

        assertThat(get(session.mail("a@sender.example", 5_000)).admitted()).isTrue();
        session.dataEnd(12_000);
        assertThat(available(engine, bytes, session.facts())).as("larger than declared: into debt")
                .isEqualTo(-5_000);

        Decision refused = get(session.mail("a@sender.example", 1));
        assertThat(refused.admitted()).isFalse();
        assertThat(refused.reply()).hasToString("451 4.7.1 Rate limit exceeded, try again later");
        assertThat(refused.retryAfter()).isEqualTo(Duration.ofMillis(5_001));

        clock.advance(Duration.ofMillis(5_001));
        assertThat(get(session.mail("a@sender.example", 1)).admitted()).isTrue();
    }

    @Test
    void refusedMailLeavesNothingToSettle() {
        PolicyEngine engine = engine(List.of(limit("bytes", RuleKey.SENDER, Counted.BYTES,
                new Rate(1_000, Duration.ofSeconds(1)), 10_000)), List.of());
        CompiledLimit bytes = engine.policy().limits().get(0);
        SessionLimits session = connected(engine, "198.51.100.7");

        assertThat(get(session.mail("a@sender.example", 20_000)).admitted()).isFalse();
        session.dataEnd(20_000);

        assertThat(available(engine, bytes, session.facts())).isEqualTo(10_000);
    }

    @Test
    void shadowRuleCountsWhatItWouldHaveRefused() {
        PolicyEngine engine = engine(List.of(shadow(limit("shadow-messages", RuleKey.CLIENT_IP, Counted.MESSAGES,
                new Rate(1, Duration.ofHours(1)), 1))), List.of());
        SessionLimits session = connected(engine, "198.51.100.7");

        assertThat(get(session.mail("a@sender.example", 0)).admitted()).isTrue();
        assertThat(get(session.mail("a@sender.example", 0)).admitted()).isTrue();

        assertThat(decisions("shadow-messages", "admitted")).isEqualTo(1);
        assertThat(decisions("shadow-messages", "shadow_refused")).isEqualTo(1);
        assertThat(decisions("shadow-messages", "refused")).isZero();
    }

    @Test
    void delayingRuleCountsDelays() {
        PolicyEngine engine = engine(List.of(Rules.delaying(limit("slow", RuleKey.CLIENT_IP, Counted.MESSAGES,
                new Rate(1, Duration.ofHours(1)), 1), Duration.ofSeconds(2))), List.of());
        SessionLimits session = connected(engine, "198.51.100.7");

        get(session.mail("a@sender.example", 0));
        Decision delayed = get(session.mail("a@sender.example", 0));

        assertThat(delayed.admitted()).isTrue();
        assertThat(delayed.delay()).isEqualTo(Duration.ofSeconds(2));
        assertThat(decisions("slow", "delayed")).isEqualTo(1);
        assertThat(registry.get(PolicyMeters.DECISION_LATENCY.meterName()).tag("stage", "mail").timer().count())
                .isEqualTo(2);
    }

    @Test
    void stageWithoutRulesIsAdmittedWithoutAsking() {
        PolicyEngine engine = engine(List.of(limit("messages", RuleKey.CLIENT_IP, Counted.MESSAGES)), List.of());
        SessionLimits session = engine.openSession(LISTENER, address("198.51.100.7"));

        assertThat(session.connect()).isSameAs(PolicyEngine.ADMITTED);
        assertThat(registry.find(PolicyMeters.DECISIONS.meterName()).counters()).isEmpty();
    }

    @Test
    void replacedPolicyAppliesToTheNextRequest() {
        PolicyEngine engine = engine(List.of(limit("messages", RuleKey.CLIENT_IP, Counted.MESSAGES,
                new Rate(1, Duration.ofHours(1)), 1)), List.of());
        SessionLimits session = connected(engine, "198.51.100.7");
        get(session.mail("a@sender.example", 0));
        assertThat(get(session.mail("a@sender.example", 0)).admitted()).isFalse();

        engine.replace(new PolicyConfig(List.of(limit("messages", RuleKey.CLIENT_IP, Counted.MESSAGES,
                new Rate(1, Duration.ofHours(1)), 2)), List.of()));

        assertThat(get(session.mail("a@sender.example", 0)).admitted()).as("a new shape, a new bucket").isTrue();
        assertThat(engine.policy().plan(Stage.MAIL, session.facts()).charges().get(0).limit().rule().burst())
                .isEqualTo(2);
    }

    @Test
    void backendServerSlotsAreHeldPerServerWhileItsConnectionIsOpenNotPerClientSession() {
        PolicyEngine engine = engine(List.of(), List.of(sessions("per-backend", RuleKey.BACKEND_SERVER, 2)));
        SessionLimits first = connected(engine, "198.51.100.7");
        SessionLimits second = connected(engine, "198.51.100.8");
        assertThat(engine.policy().plan(Stage.CONNECT, first.facts()).isEmpty())
                .as("a client connecting holds no backend slot").isTrue();

        HeldLeases one = new HeldLeases();
        HeldLeases two = new HeldLeases();
        assertThat(get(first.backend("mtas/10.0.3.21:25", one)).admitted()).isTrue();
        assertThat(get(second.backend("mtas/10.0.3.21:25", two)).admitted()).isTrue();
        Decision full = get(second.backend("mtas/10.0.3.21:25", new HeldLeases()));
        assertThat(get(first.backend("mtas/10.0.3.22:25", new HeldLeases())).admitted())
                .as("another server has slots of its own").isTrue();

        assertThat(full.admitted()).isFalse();
        assertThat(full.rule()).contains("per-backend");
        assertThat(full.reply()).isEqualTo(new RuleReply(421, "4.3.2", "Backends busy, try again later"));
        assertThat(full.closes(true)).isTrue();

        first.close();
        assertThat(get(store.leases().held("per-backend|mtas/10.0.3.21:25")))
                .as("the slot belongs to the connection, which may outlive the session").isEqualTo(2);
        one.release();
        assertThat(get(second.backend("mtas/10.0.3.21:25", new HeldLeases())).admitted()).isTrue();
        assertThat(decisions("per-backend", "admitted")).isEqualTo(4);
        assertThat(decisions("per-backend", "refused")).isEqualTo(1);
    }

    private PolicyEngine engine(List<LimitRule> limits, List<ConcurrencyRule> concurrency) {
        return new PolicyEngine(new PolicyConfig(limits, concurrency), store.limiter(), store.leases(), registry);
    }

    private static SessionLimits connected(PolicyEngine engine, String client) {
        SessionLimits session = engine.openSession(LISTENER, address(client));
        assertThat(get(session.connect()).admitted()).isTrue();
        session.helo("client.example");
        return session;
    }

    private static long available(PolicyEngine engine, CompiledLimit limit, Facts facts) {
        Plan.Charge charge = limit.charge(facts, 0);
        return get(engine.limiter().available(charge.bucketKey(), charge.spec()));
    }

    private double decisions(String rule, String outcome) {
        var counter = registry.find(PolicyMeters.DECISIONS.meterName()).tag("rule", rule).tag("outcome", outcome)
                .counter();
        return counter == null ? 0 : counter.count();
    }

    private static <T> T get(CompletableFuture<T> answer) {
        try {
            return answer.get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("no answer: " + e, e);
        }
    }
}
