package io.sluice.proxy.egress;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.github.bucket4j.TimeMeter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.config.FeedbackRule;
import io.sluice.config.FeedbackRule.FeedbackAction;
import io.sluice.config.PolicyConfig;
import io.sluice.policy.cluster.LimitStore;
import io.sluice.policy.eval.PolicyEngine;
import io.sluice.policy.override.LocalOverrideStore;
import io.sluice.policy.suspension.LocalSuspensionStore;
import io.sluice.policy.suspension.SuspendedSource;
import io.sluice.policy.suspension.Suspension;
import io.sluice.policy.suspension.SuspensionStore;
import io.sluice.proxy.admin.AdminHttpTestAccess;
import io.sluice.proxy.smtp.SmtpReply;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The actions a node takes for receivers' replies: only those that change something, each written once. */
class EgressActionsTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final LimitStore limits = LimitStore.local(TimeMeter.SYSTEM_NANOTIME);
    private final PolicyEngine engine = new PolicyEngine(PolicyConfig.EMPTY, limits.limiter(), limits.leases(),
            registry);
    private final LocalOverrideStore overrides = new LocalOverrideStore(engine, Clock.systemUTC());
    private final EgressPools pools = new EgressPools(AdminHttpTestAccess.EGRESS, new SimpleMeterRegistry());
    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();

    @BeforeEach
    void listen() {
        logged.start();
        ((Logger) LoggerFactory.getLogger(EgressActions.class)).addAppender(logged);
    }

    @AfterEach
    void close() {
        ((Logger) LoggerFactory.getLogger(EgressActions.class)).detachAppender(logged);
        limits.close();
    }

    @Test
    void aScaleWithNoSourceSiteRuleToScaleTakesNothingAndSaysNothing() {
        EgressActions actions = actions(SourceSuspensions.alone(pools));
        FeedbackRule rate = new FeedbackRule("gmail-4-7-28", OptionalInt.empty(), "4.7.28", null,
                FeedbackAction.SCALE, 0.5, Duration.ofMinutes(10));
        EgressPool normal = pools.pool("normal").orElseThrow();

        SmtpReply reply = SmtpReply.of(421, "4.7.28", "Our system has detected an unusual rate of unsolicited mail");
        actions.take(rate, normal, normal.sources().get(0), "google", reply.code(), ReceiverFeedback.text(reply));

        assertThat(logged.list).isEmpty();
        assertThat(actions.list()).isEmpty();
        assertThat(overrides.list()).isEmpty();
    }

    @Test
    void twoSourcesOfAPoolHearingTheSamePoolSuspendingReplyWriteOneSuspension() {
        // A cluster's write comes back as its event later: until then the store holds nothing new.
        List<SuspendedSource> written = new ArrayList<>();
        SuspensionStore slow = new SuspensionStore() {
            @Override
            public void follow(Follower follower) {
            }

            @Override
            public Map<SuspendedSource, Suspension> terms() {
                return Map.of();
            }

            @Override
            public synchronized CompletableFuture<Void> suspend(SuspendedSource source, Suspension terms) {
                written.add(source);
                return new CompletableFuture<>();
            }

            @Override
            public CompletableFuture<Void> lift(SuspendedSource source) {
                return new CompletableFuture<>();
            }
        };
        EgressActions actions = actions(SourceSuspensions.over(slow, pools));
        FeedbackRule blocked = new FeedbackRule("pool-blocked", OptionalInt.of(554), null, null,
                FeedbackAction.SUSPEND_POOL, 1, Duration.ofMinutes(10));
        EgressPool normal = pools.pool("normal").orElseThrow();
        SmtpReply reply = SmtpReply.of(554, "5.7.1", "Service unavailable; client host blocked");

        for (SourceAddress source : normal.sources()) {
            actions.take(blocked, normal, source, "outlook", reply.code(), ReceiverFeedback.text(reply));
        }

        assertThat(normal.sources()).hasSize(2);
        assertThat(written).containsExactly(new SuspendedSource("normal", SuspendedSource.EVERY_SOURCE, "outlook"));
    }

    private EgressActions actions(SourceSuspensions suspensions) {
        return new EgressActions(AdminHttpTestAccess.EGRESS, suspensions, overrides, () -> PolicyConfig.EMPTY,
                Clock.systemUTC(), registry);
    }
}
