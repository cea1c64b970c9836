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

    // Vegas re-learns its baseline from one sample every 500-1000 x limit transactions (jittered): rarely enough
    // that a backend queueing for minutes is not taken for its new normal, often enough to follow a backend that
    // became slower for good within minutes. The library's default (30 x) let the limit drift to 4-5x the
    // backends' capacity under a sustained overload
    // (AdmissionTest.theLimitFollowsABackendWhoseCapacityStepsDownAndUp).
    static final int PROBE_MULTIPLIER = 1000;
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
    private final SmtpReply reply;
    private final Limit law;
    private final LongSupplier nanoTime;
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
    private final AtomicLong drops = new AtomicLong();

    private Admission() {
        pool = "";
        mode = AdmissionMode.OFF;
        admitted = inflight;
        minLimit = 0;
        reply = null;
        law = null;
        nanoTime = System::nanoTime;
        refused = null;
        latencies = null;
    }

    Admission(String pool, AdmissionConfig config, MeterRegistry registry, LongSupplier nanoTime) {
        this.pool = pool;
        this.mode = config.mode();
        this.minLimit = config.minInflight();
        this.admitted = mode == AdmissionMode.SHADOW ? new AtomicInteger() : inflight;
        RuleReply configured = config.reply();
        this.reply = SmtpReply.of(configured.code(), configured.enhancedCode(), configured.text());
        this.law = VegasLimit.newBuilder()
                .initialLimit(config.initialInflight())
                .maxConcurrency(config.maxInflight())
                .probeMultiplier(PROBE_MULTIPLIER)
                .alphaFunction(ALPHA)
                .betaFunction(BETA)
                .smoothing(SMOOTHING)
                .build();
        this.nanoTime = nanoTime;
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

    /** A pool's admission as configured: with nothing computed, counted or registered when it is off. */
    static Admission of(String pool, AdmissionConfig config, MeterRegistry registry) {
        return config.enabled() ? new Admission(pool, config, registry, System::nanoTime) : OFF;
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

    int limit() {
        return Math.max(minLimit, law.getLimit());
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
        law.onSample(nanoTime.getAsLong(), rtt, inflight.get(), false);
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
            law.onSample(nanoTime.getAsLong(), rtt, inflight.get(), true);
        }
    }
}
