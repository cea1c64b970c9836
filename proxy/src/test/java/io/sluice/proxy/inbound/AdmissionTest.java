package io.sluice.proxy.inbound;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.config.AdmissionConfig;
import io.sluice.config.AdmissionMode;
import io.sluice.config.BackendPoolConfig;
import io.sluice.config.BackendTls;
import io.sluice.config.ConnectionReuseConfig;
import io.sluice.config.HealthCheckConfig;
import io.sluice.config.HostPort;
import io.sluice.config.ListenerConfig;
import io.sluice.config.ListenerRole;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The in-flight count and limit of one pool: what adaptive refuses, what shadow only counts, what off costs. */
class AdmissionTest {

    private static final long MS = 1_000_000L;

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final AtomicLong clock = new AtomicLong();

    private Admission admission(AdmissionMode mode, int min, int max, int initial) {
        return new Admission("mta", new AdmissionConfig(mode, min, max, initial, AdmissionConfig.DEFAULT_REPLY),
                registry, clock::get);
    }

    @Test
    void explainWeighsTheSendersReserveAsItsMailWould() {
        BackendPoolConfig pool = new BackendPoolConfig("mta", List.of(new HostPort("127.0.0.1", 2525)), true,
                BackendTls.NONE, Duration.ofSeconds(1), new HealthCheckConfig(Duration.ofSeconds(1),
                Duration.ofSeconds(1)), ConnectionReuseConfig.DISABLED,
                new AdmissionConfig(AdmissionMode.ADAPTIVE, 10, 10, 10, AdmissionConfig.DEFAULT_REPLY));
        ListenerConfig mx = new ListenerConfig("mx", ListenerRole.INBOUND, new HostPort("127.0.0.1", 0), "mta",
                Optional.empty(), Optional.empty());
        Admissions admissions = Admissions.of(Map.of("mta", pool), List.of(mx), registry);
        // 7 of 10 in flight: the last 3 places (30%) are a returning sender's.
        for (int i = 0; i < 7; i++) {
            assertThat(admissions.pool("mta").acquire(0.3).admitted()).isTrue();
        }

        Map<String, Object> firstTime = admissions.explain("mx", 0.3, 0.3).orElseThrow();
        Map<String, Object> returning = admissions.explain("mx", 0.3, 0).orElseThrow();

        assertThat(firstTime).containsEntry("at-limit", false).containsEntry("reserved", 3L)
                .containsEntry("reserve-refuses-first-time", true).containsEntry("admits", false);
        assertThat(admissions.pool("mta").acquire(0.3).admitted()).as("as a first-time sender's MAIL finds it").isFalse();
        assertThat(returning).containsEntry("reserve-refuses-first-time", true).containsEntry("admits", true);
        assertThat(admissions.pool("mta").acquire(0).admitted()).as("as a returning sender's MAIL finds it").isTrue();
    }

    @Test
    void adaptiveRefusesOverTheLimitAndCountsIt() {
        Admission admission = admission(AdmissionMode.ADAPTIVE, 1, 10, 2);

        assertThat(admission.acquire(0).admitted()).isTrue();
        assertThat(admission.acquire(0).admitted()).isTrue();
        assertThat(admission.acquire(0).admitted()).isFalse();
        assertThat(admission.inflight()).isEqualTo(2);
        assertThat(admission.refused()).isEqualTo(1);
        assertThat(admission.refusal().toString()).contains("451", "4.3.2 Busy, try again later");
        assertThat(registry.get("sluice.admission.refused").tag("pool", "mta").tag("mode", "adaptive").counter()
                .count()).isEqualTo(1);

        admission.release(Admission.Place.WITHIN, true);
        assertThat(admission.acquire(0).admitted()).isTrue();
        assertThat(admission.inflight()).isEqualTo(2);
    }

    @Test
    void firstTimeSendersLeaveTheReservedShareOfTheLimitToReturningOnes() {
        Admission admission = admission(AdmissionMode.ADAPTIVE, 1, 100, 10);

        for (int i = 0; i < 7; i++) {
            assertThat(admission.acquire(0.3).admitted()).as("first-time %d of 10 x 0.7", i + 1).isTrue();
        }
        assertThat(admission.acquire(0.3).admitted()).as("first-time, in the reserve").isFalse();
        for (int i = 0; i < 3; i++) {
            assertThat(admission.acquire(0).admitted()).as("returning, up to the limit").isTrue();
        }
        assertThat(admission.acquire(0).admitted()).as("returning, over the limit").isFalse();
        assertThat(admission.inflight()).isEqualTo(10);
        assertThat(admission.refused()).isEqualTo(2);
    }

    @Test
    void shadowRefusesNothingAndCountsWhatAdaptiveWould() {
        Admission admission = admission(AdmissionMode.SHADOW, 1, 10, 2);

        for (int i = 0; i < 5; i++) {
            assertThat(admission.acquire(0).admitted()).isTrue();
        }
        assertThat(admission.inflight()).isEqualTo(5);
        assertThat(admission.refused()).isEqualTo(3);
        assertThat(registry.get("sluice.admission.refused").tag("mode", "shadow").counter().count()).isEqualTo(3);
        for (int i = 0; i < 5; i++) {
            admission.release(Admission.Place.WITHIN, true);
        }
        assertThat(admission.inflight()).isZero();
        assertThat(registry.get("sluice.admission.inflight").gauge().value()).isZero();
    }

    /**
     * A backend that finishes one transaction a tick, offered three a tick under a limit of 4: adaptive admits one a
     * tick, as each completion frees a place, and refuses two. Shadow lets all three in, so what is really in flight
     * grows without end, yet it counts two a tick as well: the limit is held against what it would have admitted,
     * whose places the same completions free.
     */
    @Test
    void shadowCountsWhatAdaptiveRefusesWhileEverythingItLetsThroughQueues() {
        Admission adaptive = admission(AdmissionMode.ADAPTIVE, 4, 4, 4);
        Admission shadow = shadow(4);
        Deque<Admission.Place> adaptiveQueue = new ArrayDeque<>();
        Deque<Admission.Place> shadowQueue = new ArrayDeque<>();
        int ticks = 100;
        for (int tick = 0; tick < ticks; tick++) {
            for (int offered = 0; offered < 3; offered++) {
                Admission.Place adaptivePlace = adaptive.acquire(0);
                if (adaptivePlace.admitted()) {
                    adaptiveQueue.add(adaptivePlace);
                }
                Admission.Place shadowPlace = shadow.acquire(0);
                assertThat(shadowPlace.admitted()).as("shadow refuses nothing").isTrue();
                shadowQueue.add(shadowPlace);
            }
            adaptive.release(adaptiveQueue.remove(), true);
            shadow.release(shadowQueue.remove(), true);
        }

        // Offered, less what completed and what is still in flight: 300 - (100 + 3).
        assertThat(adaptive.refused()).isEqualTo(3L * ticks - (ticks + adaptive.inflight())).isEqualTo(197);
        assertThat(shadow.refused()).isEqualTo(adaptive.refused());
        assertThat(shadow.inflight()).isEqualTo(2 * ticks);
        assertThat(shadow.admittedInflight()).isEqualTo(adaptive.inflight()).isEqualTo(3);
    }

    /**
     * A transaction shadow let through over its limit, which the client gives up before the backends answer (a
     * sender's timeout while they queue), frees no place: adaptive would never have admitted it. One it would have
     * admitted frees its own.
     */
    @Test
    void shadowFreesNoPlaceForATransactionOverItsLimitThatTheClientEnds() {
        Admission shadow = shadow(2);
        Admission.Place first = shadow.acquire(0);
        Admission.Place second = shadow.acquire(0);
        Admission.Place over = shadow.acquire(0);
        assertThat(List.of(first, second, over))
                .containsExactly(Admission.Place.WITHIN, Admission.Place.WITHIN, Admission.Place.OVER);

        shadow.release(over, false);
        assertThat(shadow.admittedInflight()).isEqualTo(2);
        assertThat(shadow.acquire(0)).as("still at its limit").isEqualTo(Admission.Place.OVER);

        shadow.release(first, false);
        assertThat(shadow.admittedInflight()).isEqualTo(1);
        assertThat(shadow.inflight()).isEqualTo(2);
        assertThat(shadow.refused()).isEqualTo(2);
    }

    private Admission shadow(int limit) {
        return new Admission("shadowed", new AdmissionConfig(AdmissionMode.SHADOW, limit, limit, limit,
                AdmissionConfig.DEFAULT_REPLY), registry, clock::get);
    }

    @Test
    void offIsOneSharedInstanceWithNothingRegistered() {
        Admission first = Admission.of("a", AdmissionConfig.OFF, registry);
        Admission second = Admission.of("b", AdmissionConfig.OFF, registry);

        assertThat(first).isSameAs(second);
        assertThat(first.enabled()).isFalse();
        assertThat(registry.getMeters()).isEmpty();
    }

    /**
     * Off costs a transaction nothing: a backend connection of a pool whose admission is off asks for no timestamps,
     * and one whose admission is on does (read with BackendHop: off forwards without a future or a count added).
     */
    @Test
    void offTimesNoReplyOfTheBackends() {
        BackendServer server = new BackendServer("mta", new HostPort("127.0.0.1", 2525));

        BackendConnection off = new BackendConnection(server, Duration.ofSeconds(1),
                Admission.of("mta", AdmissionConfig.OFF, registry));
        BackendConnection shadow = new BackendConnection(server, Duration.ofSeconds(1),
                admission(AdmissionMode.SHADOW, 1, 10, 2));

        assertThat(off.timesReplies()).isFalse();
        assertThat(shadow.timesReplies()).isTrue();
    }

    @Test
    void dropsBringTheLimitDownToItsMinimum() {
        Admission admission = admission(AdmissionMode.ADAPTIVE, 3, 50, 30);
        // A drop before any transaction completed teaches nothing: there is no baseline to compare with.
        admission.dropped();
        assertThat(admission.limit()).isEqualTo(30);
        for (int i = 0; i < 20; i++) {
            sample(admission, 30, 10 * MS);
        }
        // Each drop takes a fifth of a step (SMOOTHING): from the maximum, 50, to 3 in under 250 drops, some seconds
        // of a pool whose backends answer every transaction with a 4xx.
        for (int i = 0; i < 250; i++) {
            admission.dropped();
        }
        assertThat(admission.limit()).isEqualTo(3);
        assertThat(admission.drops()).isEqualTo(251);
    }

    /**
     * The law follows a backend whose capacity steps down and up again under a sustained overload: a backend with
     * {@code capacity} workers answers a transaction in 10 ms while the limit is within them, and queues beyond.
     * With Vegas and a rare re-learning of its baseline, the limit stays between the capacity (nothing idle) and
     * twice it (latency at most doubled) in each plateau. Gradient2 drifts to its maximum (its baseline follows the
     * queueing), AIMD holds latency at its fixed timeout whatever the backend's own, and Vegas with its default
     * re-learning rate (30 x) drifts to 4-11 x the capacity in the low plateau.
     */
    @Test
    void theLimitFollowsABackendWhoseCapacityStepsDownAndUp() {
        Admission admission = admission(AdmissionMode.ADAPTIVE, 2, 200, 20);
        for (int capacity : new int[] {50, 12, 50}) {
            int lowest = Integer.MAX_VALUE;
            int highest = 0;
            for (int i = 0; i < 8000; i++) {
                int inflight = admission.limit();
                sample(admission, inflight, (long) (10 * MS * Math.max(1.0, inflight / (double) capacity)));
                if (i >= 4000) {
                    lowest = Math.min(lowest, admission.limit());
                    highest = Math.max(highest, admission.limit());
                }
            }
            assertThat(lowest).as("least limit, capacity %d", capacity).isGreaterThanOrEqualTo(capacity);
            assertThat(highest).as("greatest limit, capacity %d", capacity).isLessThanOrEqualTo(2 * capacity);
        }
    }

    /** One transaction completing with {@code inflight} in flight, the backend having taken {@code nanos}. */
    private void sample(Admission admission, int inflight, long nanos) {
        int taken = 0;
        while (taken < inflight && admission.acquire(0).admitted()) {
            taken++;
        }
        clock.addAndGet(nanos / Math.max(1, inflight));
        admission.completed(nanos);
        for (int i = 0; i < taken; i++) {
            admission.release(Admission.Place.WITHIN, true);
        }
    }
}
