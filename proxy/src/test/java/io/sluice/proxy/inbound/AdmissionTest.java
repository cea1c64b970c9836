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
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The in-flight count and limit of one pool: what adaptive refuses, what shadow only counts, what off costs. */
class AdmissionTest {

    private static final long MS = 1_000_000L;

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final AtomicLong clock = new AtomicLong();

    private Admission admission(AdmissionMode mode, int min, int max, int initial) {
        return admission("mta", mode, min, max, initial);
    }

    private Admission admission(String pool, AdmissionMode mode, int min, int max, int initial) {
        return new Admission(pool, new AdmissionConfig(mode, min, max, initial, AdmissionConfig.DEFAULT_REPLY),
                registry, clock::get, () -> clock.get() / MS);
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
                AdmissionConfig.DEFAULT_REPLY), registry, clock::get, () -> clock.get() / MS);
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
     * With Vegas and its baseline learnt only from transactions that did not queue, the limit stays between the
     * capacity (nothing idle) and twice it (latency at most doubled) in each plateau. Gradient2 drifts to its maximum
     * (its baseline follows the queueing), AIMD holds latency at its fixed timeout whatever the backend's own, and
     * Vegas with its default re-learning rate (30 x) drifts to 4-11 x the capacity in the low plateau.
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

    /**
     * A sustained overload of a backend with three workers that take 100 ms a transaction, offered three more than
     * the limit every round: the limit settles where its queue stays short, and stays there however long the
     * overload lasts. Vegas's own re-learning of its baseline took whatever transaction came when its count was up,
     * under an overload a queued one; each such probe raised the baseline and the queue the law keeps by another
     * transaction (the backend's time 2.7x its own after 20,000 transactions).
     */
    @Test
    void aSustainedOverloadDoesNotRaiseTheBaselineOrTheQueue() {
        Admission admission = admission(AdmissionMode.ADAPTIVE, 1, 200, 3);
        long worst = 0;
        for (int i = 0; i < 20_000; i++) {
            long answered = overloadedRound(admission, 3, 100 * MS);
            if (i >= 2_000) {
                worst = Math.max(worst, answered);
            }
        }
        assertThat(worst).as("the backend's slowest transaction after the first 2,000").isLessThanOrEqualTo(200 * MS);
        assertThat(admission.baselineNanos()).isEqualTo(100 * MS);
    }

    /**
     * After a probe the limit comes back to where the law had it, not past it. Ten workers of 100 ms, first come first
     * served, and always one sender more than the limit lets in: the transactions of the pool coming back find the
     * queue the probe emptied, and taken for the backends' answer they made the law grow far past what the workers
     * take (3x their time in admission-steps.sh). Synchronous workers make this law's own equilibrium here 17-19
     * places, each transaction waiting for a worker or not at all: the probe must leave it as it was.
     */
    @Test
    void afterAProbeTheLimitComesBackWithoutOvershooting() {
        Admission admission = admission(AdmissionMode.ADAPTIVE, 1, 200, 10);
        QueueingBackend backend = new QueueingBackend(10, 100 * MS);
        long interval = AdmissionConfig.DEFAULT_PROBE_INTERVAL.toNanos();
        backend.overload(admission, interval - 5_000 * MS);
        int highestBefore = 0;
        long worstBefore = 0;
        while (clock.get() < interval) {
            worstBefore = Math.max(worstBefore, backend.overload(admission, clock.get() + 10 * MS));
            highestBefore = Math.max(highestBefore, admission.limit());
        }
        int highest = 0;
        long worst = 0;
        boolean probed = false;
        while (clock.get() < interval + 5_000 * MS) {
            worst = Math.max(worst, backend.overload(admission, clock.get() + 10 * MS));
            highest = Math.max(highest, admission.limit());
            probed |= admission.probing();
        }

        assertThat(probed).isTrue();
        // Fed to the law as the pool came back, its transactions took it to 36 and the backend's time to 400 ms.
        assertThat(highest).as("the greatest limit from the probe on").isLessThanOrEqualTo(highestBefore + 1);
        assertThat(worst).as("the backend's slowest transaction from the probe on").isLessThanOrEqualTo(worstBefore);
    }

    /** Workers that serve one transaction each at a time, in the order admitted; the test's clock is its time. */
    private final class QueueingBackend {
        private final long[] freeAt;
        private final long service;
        private final PriorityQueue<long[]> open = new PriorityQueue<>(Comparator.comparingLong(done -> done[0]));

        QueueingBackend(int workers, long service) {
            this.freeAt = new long[workers];
            this.service = service;
        }

        /**
         * Until {@code until}: the pool filled up to its limit, with one sender more refused each time, and each
         * transaction completing in turn. Returns the longest a transaction took.
         */
        long overload(Admission admission, long until) {
            long worst = 0;
            while (clock.get() < until) {
                while (admission.acquire(0).admitted()) {
                    int worker = 0;
                    for (int i = 1; i < freeAt.length; i++) {
                        worker = freeAt[i] < freeAt[worker] ? i : worker;
                    }
                    freeAt[worker] = Math.max(clock.get(), freeAt[worker]) + service;
                    open.add(new long[] {freeAt[worker], clock.get()});
                }
                long[] next = open.remove();
                clock.set(next[0]);
                worst = Math.max(worst, next[0] - next[1]);
                admission.completed(next[0] - next[1]);
                admission.release(Admission.Place.WITHIN, true);
            }
            return worst;
        }
    }

    /** A node started under an overload takes a queued transaction for its baseline until its first probe. */
    @Test
    void aNodeStartedUnderAnOverloadLearnsTheUnloadedTimeAtItsFirstProbe() {
        Admission admission = admission(AdmissionMode.ADAPTIVE, 1, 200, 20);
        overloadedRound(admission, 3, 100 * MS);
        assertThat(admission.baselineNanos()).as("20 in flight at 3 workers").isEqualTo(666_666_666L);

        while (clock.get() < AdmissionConfig.DEFAULT_PROBE_INTERVAL.toNanos() + 10_000 * MS) {
            overloadedRound(admission, 3, 100 * MS);
        }
        assertThat(admission.baselineNanos()).isEqualTo(100 * MS);
        assertThat(admission.limit()).isBetween(3, 6);
    }

    /**
     * A backend of ten workers that becomes three times slower for good: against the old baseline the limit falls
     * to a third of the workers; the next probe learns the new time and the limit comes back to them.
     */
    @Test
    void aBackendSlowerForGoodIsLearntAtTheNextProbe() {
        Admission admission = admission(AdmissionMode.ADAPTIVE, 1, 200, 10);
        for (int i = 0; i < 500; i++) {
            overloadedRound(admission, 10, 100 * MS);
        }
        assertThat(admission.limit()).isBetween(10, 20);
        long slowerAt = clock.get();
        for (int i = 0; i < 100; i++) {
            overloadedRound(admission, 10, 300 * MS);
        }
        assertThat(admission.limit()).as("against the old baseline").isLessThan(10);

        while (clock.get() < slowerAt + 2 * AdmissionConfig.DEFAULT_PROBE_INTERVAL.toNanos()) {
            overloadedRound(admission, 10, 300 * MS);
        }
        assertThat(admission.baselineNanos()).isEqualTo(300 * MS);
        assertThat(admission.limit()).isBetween(10, 20);
    }

    /**
     * Probes start on multiples of the interval on the wall clock, so that two nodes drain their shared backends
     * together; only a pool whose limit refused something in the interval probes, and a probe lets one transaction
     * in flight, its min-inflight, until two have had the backends to themselves; then the limit comes back a place
     * per completion.
     */
    @Test
    void nodesProbeTogetherOnTheWallClockAndOnlyWhereTheLimitRefused() {
        Admission refusing = admission("refusing", AdmissionMode.ADAPTIVE, 1, 10, 2);
        Admission other = admission("other", AdmissionMode.ADAPTIVE, 1, 10, 2);
        Admission quiet = admission("quiet", AdmissionMode.ADAPTIVE, 1, 10, 2);
        for (Admission admission : List.of(refusing, other, quiet)) {
            admission.acquire(0);
            admission.completed(10 * MS);
            admission.release(Admission.Place.WITHIN, true);
        }
        clock.set(AdmissionConfig.DEFAULT_PROBE_INTERVAL.toNanos() / 2);
        for (Admission admission : List.of(refusing, other)) {
            admission.acquire(0);
            admission.acquire(0);
            assertThat(admission.acquire(0).admitted()).as("over the limit").isFalse();
            admission.release(Admission.Place.WITHIN, true);
            admission.release(Admission.Place.WITHIN, true);
        }

        clock.set(AdmissionConfig.DEFAULT_PROBE_INTERVAL.toNanos() - 1);
        assertThat(refusing.acquire(0).admitted()).isTrue();
        assertThat(refusing.probing()).as("before the interval's end").isFalse();
        clock.set(AdmissionConfig.DEFAULT_PROBE_INTERVAL.toNanos());
        assertThat(refusing.acquire(0).admitted()).as("within 2, over the probe's one").isFalse();
        assertThat(refusing.probing()).isTrue();
        assertThat(refusing.limit()).as("min-inflight").isEqualTo(1);
        refusing.completed(30 * MS);
        refusing.release(Admission.Place.WITHIN, true);
        assertThat(refusing.acquire(0).admitted()).as("the pool drained").isTrue();
        assertThat(other.acquire(0).admitted()).isTrue();
        assertThat(other.probing()).as("the other node, at the same moment").isTrue();
        assertThat(quiet.acquire(0).admitted()).isTrue();
        assertThat(quiet.probing()).as("a pool that refused nothing").isFalse();

        // The first completion, which may have queued, left none in flight: the next two have the backends alone.
        assertThat(refusing.acquire(0).admitted()).as("one at a time").isFalse();
        refusing.completed(12 * MS);
        refusing.release(Admission.Place.WITHIN, true);
        assertThat(refusing.probing()).as("one of two").isTrue();
        assertThat(refusing.acquire(0).admitted()).isTrue();
        refusing.completed(11 * MS);
        refusing.release(Admission.Place.WITHIN, true);
        assertThat(refusing.probing()).isFalse();
        assertThat(refusing.baselineNanos()).as("the least of the two alone").isEqualTo(11 * MS);
        assertThat(refusing.limit()).as("back from min-inflight").isEqualTo(1);
        refusing.acquire(0);
        refusing.completed(11 * MS);
        refusing.release(Admission.Place.WITHIN, true);
        assertThat(refusing.limit()).as("one place a completion, up to the law's").isEqualTo(2);
    }

    /**
     * Shadow lets everything through, so under an overload the backends never drain: its probe counts what adaptive
     * would refuse while it drained, and ends when its own count has drained as adaptive's would, keeping the
     * baseline it had: what really was in flight had not drained.
     */
    @Test
    void shadowsProbeKeepsItsBaselineWhenTheBackendsDidNotDrain() {
        Admission shadow = shadow(2);
        shadow.acquire(0);
        shadow.completed(10 * MS);
        shadow.release(Admission.Place.WITHIN, true);
        for (int i = 0; i < 5; i++) {
            shadow.acquire(0);
        }
        clock.set(AdmissionConfig.DEFAULT_PROBE_INTERVAL.toNanos());
        assertThat(shadow.acquire(0)).isEqualTo(Admission.Place.OVER);
        assertThat(shadow.probing()).isTrue();
        // The backends answer a transaction shadow would have admitted: its count drains, what is in flight does not.
        for (int i = 0; i < 4; i++) {
            shadow.completed(50 * MS);
            shadow.release(Admission.Place.WITHIN, true);
        }
        assertThat(shadow.admittedInflight()).isZero();
        assertThat(shadow.probing()).as("the last two were not alone at the backends").isFalse();
        assertThat(shadow.baselineNanos()).isEqualTo(10 * MS);
    }

    /**
     * One round of a backend with {@code workers} workers that take {@code service} a transaction, offered three
     * transactions more than the limit: those admitted take {@code service} each while they are no more than the
     * workers, and queue beyond. Returns the time the backend took over them.
     */
    private long overloadedRound(Admission admission, int workers, long service) {
        List<Admission.Place> places = new ArrayList<>();
        int offered = admission.limit() + 3;
        for (int i = 0; i < offered; i++) {
            Admission.Place place = admission.acquire(0);
            if (place.admitted()) {
                places.add(place);
            }
        }
        int taken = places.size();
        long answered = (long) (service * Math.max(1.0, taken / (double) workers));
        clock.addAndGet(answered / Math.max(1, taken));
        admission.completed(answered);
        places.forEach(place -> admission.release(place, true));
        return answered;
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
