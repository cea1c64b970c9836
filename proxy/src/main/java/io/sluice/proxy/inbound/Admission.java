package io.sluice.proxy.inbound;

import com.netflix.concurrency.limits.Limit;
import com.netflix.concurrency.limits.limit.VegasLimit;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.sluice.config.AdmissionConfig;
import io.sluice.config.AdmissionMode;
import io.sluice.config.RetryPriority;
import io.sluice.config.RuleReply;
import io.sluice.proxy.smtp.SmtpReply;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntUnaryOperator;
import java.util.function.LongSupplier;

/**
 * How many mail transactions this node has in flight to one backend pool (from the MAIL sent to a backend to the
 * reply to its final dot), and the limit it keeps them under, which follows how the backends answer: the time they
 * take to answer a transaction's recipients, DATA and final dot, their 4xx replies, and failures to connect or greet.
 * Each node keeps its own, from its own measurements, as TCP senders do.
 *
 * <p>The control law is Netflix concurrency-limits' Vegas: it learns the backends' unloaded time as the least it has
 * seen and shrinks the limit as the time grows past it (the backends queue), or at once on a drop. Its own limiters
 * measure from acquire to release, which here would be the whole transaction with the client's upload; so samples are
 * fed as the backends' own answering time and the in-flight count is kept here. Shared by every event loop.
 *
 * <p>The baseline must be learnt again now and then (the backends may have become slower for good), but never from a
 * transaction that queued. Vegas's own probe takes whatever transaction completes when its count is up, under an
 * overload a queued one, and each such probe raised the baseline and with it the queue the law keeps by another
 * transaction or two (the backend's time 2.1x its own in the low plateau of admission-steps.sh, 2.7x in
 * {@code AdmissionTest}). So the law never probes by itself: where the limit refused anything in the last probe
 * interval, this node lets the pool drain to min-inflight, learns the baseline from the next transactions, which
 * find the backends with no more than those, and resumes (as BBR's ProbeRTT does). Probes start on multiples of the
 * interval on the wall clock, so that the nodes of a cluster drain their shared backends together.
 */
final class Admission {

    /** The place a new transaction takes. */
    enum Place {
        /** Refused: over the limit, in adaptive. */
        NONE,
        /** Within the limit, which is held against it. */
        WITHIN,
        /** Over the limit and let through, in shadow: counted as refused, not held against the limit. */
        OVER;

        boolean admitted() {
            return this != NONE;
        }
    }

    /** Where a reply's latency was measured. */
    enum Stage {
        RCPT, DATA, END_OF_DATA;

        final String tag = name().toLowerCase(Locale.ROOT);
    }

    // Vegas's own probe comes every probeMultiplier x limit samples: at this one, after a billion, in practice never.
    private static final int NO_PROBE = Integer.MAX_VALUE;

    // A probe that has not drained the pool by then (transactions whose clients upload slowly) gives up and keeps the
    // baseline it had. Shadow's ends when its own count has drained, learning nothing where the backends did not.
    static final Duration PROBE_TIMEOUT = Duration.ofSeconds(2);
    // Vegas grows the limit while fewer than alpha transactions queue at the backends, and shrinks it beyond beta.
    // The library's log10 thresholds allow 6 queued at any limit, which at a sick pool's few transactions is 2-4x its
    // latency; a share of the limit keeps the queue to a tenth or a fifth of what is in flight.
    private static final IntUnaryOperator ALPHA = limit -> Math.max(1, limit / 10);
    private static final IntUnaryOperator BETA = limit -> Math.max(2, limit / 5);

    // Vegas moves the limit on every sample, by up to beta at once: at a few transactions per node that swung each
    // node's limit by half of it between one transaction and the next, and the sum of three nodes' from half to three
    // times what their shared backend takes (AdmissionConvergenceTest). A fifth of each step follows the same
    // equilibrium within a few dozen transactions.
    static final double SMOOTHING = 0.2;

    private static final Admission OFF = new Admission();

    private final String pool;
    private final AdmissionMode mode;
    private final int minLimit;
    private final int maxLimit;
    private final long probeIntervalMillis;
    private final SmtpReply reply;
    private volatile Limit law;
    private final LongSupplier nanoTime;
    private final LongSupplier epochMillis;
    private final AtomicInteger inflight = new AtomicInteger();
    // What the limit is held against: in adaptive, the transactions in flight. Shadow refuses nothing, so once the
    // backends queue everything offered is in flight, and held against that the limit counted almost every MAIL
    // (1.2-1.5 times what adaptive refuses). It holds the limit against those it would have admitted instead, one of
    // whose places frees whenever the backends answer the end of any transaction (their pace of completions then
    // paces its admissions, as a full pool's completions pace adaptive's), or one of them ends otherwise.
    private final AtomicInteger admitted;
    private final Counter refused;
    private final Timer[] latencies;
    // The last transaction's sample, in nanoseconds: the rtt a drop is fed with, so that the law takes it as one.
    private volatile long lastSample;
    // The least sample since the law was built: the baseline it works from.
    private volatile long baseline;
    private final AtomicLong drops = new AtomicLong();
    // When the next probe may start (epoch milliseconds), what had been refused when the last began or was passed
    // over, and the probe under way (null when none), all changed under this object's lock.
    private volatile long nextProbeMillis;
    private double refusedBeforeInterval;
    private volatile Probe probe;
    // After a probe the limit comes back one place per completion from min-inflight (the law's whole limit at once
    // sent the emptied places to the backends together), and the law hears nothing until a whole limit more has
    // completed (Integer.MAX_VALUE: not coming back). Fed to the law, the transactions of a pool held under its
    // limit, which found the queue the probe had emptied, made it grow to twice its limit (AdmissionTest). Even so,
    // against admission-steps.sh's sink Vegas overshoots for a second or two once it is fed again (its growth meets
    // the backends' queue a transaction time late): one reason probes are minutes apart.
    private volatile int resuming = Integer.MAX_VALUE;

    private Admission() {
        pool = "";
        mode = AdmissionMode.OFF;
        admitted = inflight;
        minLimit = 0;
        maxLimit = 0;
        probeIntervalMillis = 0;
        reply = null;
        law = null;
        nanoTime = System::nanoTime;
        epochMillis = System::currentTimeMillis;
        refused = null;
        latencies = null;
    }

    Admission(String pool, AdmissionConfig config, MeterRegistry registry, LongSupplier nanoTime,
              LongSupplier epochMillis) {
        this.pool = pool;
        this.mode = config.mode();
        this.minLimit = config.minInflight();
        this.maxLimit = config.maxInflight();
        this.probeIntervalMillis = config.probeInterval().toMillis();
        this.admitted = mode == AdmissionMode.SHADOW ? new AtomicInteger() : inflight;
        RuleReply configured = config.reply();
        this.reply = SmtpReply.of(configured.code(), configured.enhancedCode(), configured.text());
        this.law = law(config.initialInflight());
        this.nanoTime = nanoTime;
        this.epochMillis = epochMillis;
        // The first probe comes no sooner than one interval after the start: the baseline until then is the least
        // of the first transactions.
        this.nextProbeMillis = nextProbeAfter(epochMillis.getAsLong() + probeIntervalMillis - 1);
        this.refused = Counter.builder("sluice.admission.refused")
                .description("MAILs over the pool's adaptive limit: refused (adaptive) or that would have been (shadow)")
                .tag("pool", pool)
                .tag("mode", mode.name().toLowerCase(Locale.ROOT))
                .register(registry);
        Gauge.builder("sluice.admission.limit", this, Admission::limit)
                .description("transactions this node lets be in flight to the pool now").tag("pool", pool)
                .register(registry);
        Gauge.builder("sluice.admission.limit.min", this, admission -> admission.minLimit)
                .description("the least the pool's limit falls to (min-inflight)").tag("pool", pool)
                .register(registry);
        Gauge.builder("sluice.admission.inflight", this, Admission::inflight)
                .description("transactions in flight to the pool from this node").tag("pool", pool)
                .register(registry);
        Stage[] stages = Stage.values();
        this.latencies = new Timer[stages.length];
        for (Stage stage : stages) {
            latencies[stage.ordinal()] = Timer.builder("sluice.backend.reply")
                    .description("from a request written to a backend of the pool to its reply")
                    .tag("pool", pool)
                    .tag("stage", stage.tag)
                    .publishPercentileHistogram()
                    .register(registry);
        }
    }

    private Limit law(int initialLimit) {
        return VegasLimit.newBuilder()
                .initialLimit(initialLimit)
                .maxConcurrency(maxLimit)
                .probeMultiplier(NO_PROBE)
                .alphaFunction(ALPHA)
                .betaFunction(BETA)
                .smoothing(SMOOTHING)
                .build();
    }

    /** A pool's admission as configured: with nothing computed, counted or registered when it is off. */
    static Admission of(String pool, AdmissionConfig config, MeterRegistry registry) {
        return config.enabled()
                ? new Admission(pool, config, registry, System::nanoTime, System::currentTimeMillis)
                : OFF;
    }

    /** Whether anything is computed: when not, nothing else here may be called. */
    boolean enabled() {
        return law != null;
    }

    String pool() {
        return pool;
    }

    AdmissionMode mode() {
        return mode;
    }

    /** What a MAIL over the limit gets. */
    SmtpReply refusal() {
        return reply;
    }

    /** The transactions let in flight now: during a probe, min-inflight, and after it, coming back to the law's. */
    int limit() {
        return probe != null ? minLimit : Math.max(minLimit, Math.min(resuming, law.getLimit()));
    }

    /** Whether the pool is draining to min-inflight to learn the backends' unloaded time again. */
    boolean probing() {
        return probe != null;
    }

    /** The backends' unloaded time the limit works from, in nanoseconds (0 before any transaction completed). */
    long baselineNanos() {
        return baseline;
    }

    int inflight() {
        return inflight.get();
    }

    /** The transactions the limit is held against: those in flight, or in shadow those it would have admitted. */
    int admittedInflight() {
        return admitted.get();
    }

    long refused() {
        return (long) refused.count();
    }

    long drops() {
        return drops.get();
    }

    /** The backends' answering time of the last transaction that completed, in nanoseconds (0 before any). */
    long lastSampleNanos() {
        return lastSample;
    }

    /** The latency of one stage's replies so far. */
    Timer latency(Stage stage) {
        return latencies[stage.ordinal()];
    }

    /**
     * Takes a place for a new transaction that may not take the last {@code reservedShare} of the limit (a first-time
     * sender's is the whole reserve, a returning one's less, down to 0): within the limit while fewer than
     * {@code limit x (1 - reservedShare)} are held against it. Over it, adaptive refuses the transaction and shadow
     * counts it and lets it through. Every place but NONE is given back by one {@link #release}.
     */
    Place acquire(double reservedShare) {
        if (epochMillis.getAsLong() >= nextProbeMillis) {
            intervalEnded();
        }
        while (true) {
            int now = admitted.get();
            if (over(now, limit(), reservedShare)) {
                refused.increment();
                if (mode == AdmissionMode.ADAPTIVE) {
                    return Place.NONE;
                }
                inflight.incrementAndGet();
                return Place.OVER;
            }
            if (admitted.compareAndSet(now, now + 1)) {
                if (mode == AdmissionMode.SHADOW) {
                    inflight.incrementAndGet();
                }
                return Place.WITHIN;
            }
        }
    }

    /**
     * Gives back a transaction's place as it ends: {@code answered} when the backends answered its end (the reply to
     * its final dot, or a refusal of its MAIL), not when the client, a timeout or a lost connection ended it.
     */
    void release(Place place, boolean answered) {
        inflight.decrementAndGet();
        if (mode == AdmissionMode.SHADOW && (answered || place == Place.WITHIN)) {
            admitted.getAndUpdate(count -> Math.max(0, count - 1));
        }
    }

    /**
     * Whether one more transaction is too many with {@code inflight} under {@code limit} less its reserved share:
     * in flight &lt; limit x (1 - share), counted in whole places (the share's places rounded down, as the policy's
     * reserved tokens are) so that 10 x 0.7 is 7 and not a rounding error above it.
     */
    static boolean over(int inflight, int limit, double reservedShare) {
        return inflight >= limit - RetryPriority.wholeShare(limit, reservedShare);
    }

    /** A backend answered one stage of a transaction in {@code nanos}. */
    void replied(Stage stage, long nanos) {
        latencies[stage.ordinal()].record(nanos, TimeUnit.NANOSECONDS);
    }

    /** A transaction's backend answered its final dot: {@code nanos} is the time the backend took over it. */
    void completed(long nanos) {
        long rtt = Math.max(1, nanos);
        lastSample = rtt;
        if (probe != null) {
            probed(rtt);
            return;
        }
        int cap = resuming;
        if (cap == Integer.MAX_VALUE) {
            feed(rtt, false);
        } else {
            resuming = cap >= 2 * law.getLimit() ? Integer.MAX_VALUE : cap + 1;
        }
    }

    private void feed(long rtt, boolean didDrop) {
        // As Vegas takes its baseline: the least sample since it was built, drop or not.
        if (baseline == 0 || rtt < baseline) {
            baseline = rtt;
        }
        law.onSample(nanoTime.getAsLong(), rtt, inflight.get(), didDrop);
    }

    private long nextProbeAfter(long epochMillis) {
        return (epochMillis / probeIntervalMillis + 1) * probeIntervalMillis;
    }

    /** A probe interval has passed: one begins if the limit refused anything in it, or one under way gives up. */
    private synchronized void intervalEnded() {
        long now = epochMillis.getAsLong();
        if (now < nextProbeMillis) {
            return;
        }
        if (probe != null) {
            if (nanoTime.getAsLong() - probe.started >= PROBE_TIMEOUT.toNanos()) {
                endProbe(0);
            }
            return;
        }
        double refusedNow = refused.count();
        if (refusedNow > refusedBeforeInterval && baseline > 0) {
            probe = new Probe(nanoTime.getAsLong(), law.getLimit());
        } else {
            refusedBeforeInterval = refusedNow;
            nextProbeMillis = nextProbeAfter(now);
        }
    }

    /** A transaction completed during a probe. */
    private synchronized void probed(long rtt) {
        Probe current = probe;
        if (current == null) {
            return;
        }
        if (!current.drained) {
            // This one may have queued; once it is done fewer than min-inflight are still in flight, so every one
            // admitted from now on finds the backends with no more than min-inflight of this node's, and of the next
            // min-inflight + 1 to complete at least two are such. Shadow's count drains as adaptive's would, but the
            // backends only drained if what really is in flight did.
            current.drained = admitted.get() <= minLimit;
            current.clean = inflight.get() <= minLimit;
            return;
        }
        current.best = Math.min(current.best, rtt);
        if (++current.samples > minLimit) {
            endProbe(current.clean ? current.best : 0);
        }
    }

    /** Ends the probe: with the baseline learnt, or keeping the one there was ({@code learnt} 0). */
    private void endProbe(long learnt) {
        if (learnt > 0) {
            Limit relearnt = law(Math.max(1, probe.limitBefore));
            relearnt.onSample(nanoTime.getAsLong(), learnt, minLimit, false);
            law = relearnt;
            baseline = learnt;
        }
        resuming = minLimit;
        probe = null;
        refusedBeforeInterval = refused.count();
        nextProbeMillis = nextProbeAfter(epochMillis.getAsLong());
    }

    /** A probe under way: guarded by the admission's lock. */
    private static final class Probe {
        final long started;
        final int limitBefore;
        boolean drained;
        boolean clean;
        int samples;
        long best = Long.MAX_VALUE;

        Probe(long started, int limitBefore) {
            this.started = started;
            this.limitBefore = limitBefore;
        }
    }

    /**
     * The backends pushed back: a 4xx or 421 reply, a reply that did not come in time, or a connection or greeting
     * that failed. The law shrinks the limit.
     */
    void dropped() {
        drops.incrementAndGet();
        long rtt = lastSample;
        // Vegas takes any sample shorter than its baseline for the new baseline, drop or not: a drop is fed as long
        // as the last transaction, and not at all before there was one (it would set the baseline to nothing).
        if (rtt > 0) {
            feed(rtt, true);
        }
    }
}
