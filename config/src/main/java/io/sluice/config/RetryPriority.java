package io.sluice.config;

import java.time.Duration;
import java.util.Objects;

/**
 * Senders that Sluice deferred come back first, the longest deferred first of all: a deferral leaves a mark on the
 * client's network and the sender, and while a limit is tight a first-time arrival may not take the last
 * {@code reservedShare} of it. A returning sender may take into that reserve the deeper the longer ago it was first
 * deferred ({@code tiers} tiers of one generation each): the oldest-deferred mail drains first, instead of every
 * retry being a fresh lottery ticket. The marks live in time generations of Bloom filters, the oldest dropped as a
 * new one starts.
 *
 * @param enabled whether deferrals leave marks and a share of each limit is kept for returning senders
 * @param reservedShare the share of a bucket's capacity (and of a pool's adaptive in-flight limit) kept for
 *     returning senders, from 0 to 0.9
 * @param markTtl how long a mark is remembered: a mark expires between {@code markTtl} less one generation and
 *     {@code markTtl}
 * @param generations how many filters cover {@code markTtl}; one generation is {@code markTtl / generations} long
 * @param capacity the marks one generation holds at {@code falsePositiveRate}; beyond it, new marks are dropped
 * @param falsePositiveRate how often a first-time sender is taken for a returning one, over all generations at
 *     capacity
 * @param tiers how many generations of age it takes a returning sender to reach the bottom of the reserve: with 3,
 *     one first deferred in the current generation may take a third of it, in the one before two thirds, earlier all
 *     of it; with 1, every returning sender all of it. From 1 to {@code generations}
 */
public record RetryPriority(boolean enabled, double reservedShare, Duration markTtl, int generations, long capacity,
                            double falsePositiveRate, int tiers) {

    public static final double MAX_SHARE = 0.9;
    /**
     * The tiers by default: one, every returning sender may take the whole reserve. More tiers order the returning
     * senders by age, but split the same reserve: in the replayed burst of {@code loadtest/bench/retry-priority.sh}
     * three tiers took tokens from senders at their first retry and gave them to none that needed them more.
     */
    public static final int DEFAULT_TIERS = 1;
    public static final int MAX_GENERATIONS = 64;
    public static final long MIN_CAPACITY = 1_000;
    public static final long MAX_CAPACITY = 100_000_000;
    /** One generation is at least this long: generations are what a lookup walks and the cluster exchanges. */
    public static final Duration MIN_GENERATION = Duration.ofSeconds(1);

    /**
     * 4 hours in 16 generations of 15 minutes, 1M marks each (about 1,100 new deferred senders a second, sustained)
     * at 1% over the whole window: about 1.9 MB per generation, 30 MB for the window.
     */
    public static final RetryPriority DEFAULT = new RetryPriority(true, 0.3, Duration.ofHours(4), 16, 1_000_000, 0.01,
            DEFAULT_TIERS);

    /** No marks and no reserve: every sender is a first-time one, and may take a whole limit. */
    public static final RetryPriority OFF = new RetryPriority(false, DEFAULT.reservedShare, DEFAULT.markTtl,
            DEFAULT.generations, DEFAULT.capacity, DEFAULT.falsePositiveRate, DEFAULT.tiers);

    public RetryPriority {
        Objects.requireNonNull(markTtl, "markTtl");
        if (!(reservedShare >= 0 && reservedShare <= MAX_SHARE)) {
            throw new IllegalArgumentException("reserved-share: " + reservedShare + " (expected: 0-" + MAX_SHARE + ")");
        }
        if (generations < 2 || generations > MAX_GENERATIONS) {
            throw new IllegalArgumentException("generations: " + generations + " (expected: 2-" + MAX_GENERATIONS + ")");
        }
        if (markTtl.dividedBy(generations).compareTo(MIN_GENERATION) < 0) {
            throw new IllegalArgumentException("mark-ttl: " + markTtl + " (expected: at least " + generations
                    + " x " + MIN_GENERATION + ", one second per generation)");
        }
        if (capacity < MIN_CAPACITY || capacity > MAX_CAPACITY) {
            throw new IllegalArgumentException("capacity: " + capacity + " (expected: " + MIN_CAPACITY + "-"
                    + MAX_CAPACITY + ")");
        }
        if (!(falsePositiveRate > 0 && falsePositiveRate < 0.5)) {
            throw new IllegalArgumentException("false-positive-rate: " + falsePositiveRate + " (expected: above 0,"
                    + " below 0.5)");
        }
        if (tiers < 1 || tiers > generations) {
            throw new IllegalArgumentException("tiers: " + tiers + " (expected: 1-" + generations + ", the generations)");
        }
    }

    /** Retry priority with the default tiers. */
    public RetryPriority(boolean enabled, double reservedShare, Duration markTtl, int generations, long capacity,
                         double falsePositiveRate) {
        this(enabled, reservedShare, markTtl, generations, capacity, falsePositiveRate, DEFAULT_TIERS);
    }

    /** How long one generation is: a mark's first deferral is known to within this. */
    public Duration generation() {
        return markTtl.dividedBy(generations);
    }

    /**
     * The share of a limit a sender may not take: all of {@link #reservedShare} for a first-time sender
     * ({@code firstDeferredMillis} below 0), a tier less per generation of age for a returning one (the age counted
     * from the start of its first deferral's generation, so one first deferred in the current generation is in tier
     * 1), none from tier {@code tiers} on; none with retry priority off.
     */
    public double keptShare(long firstDeferredMillis, long nowMillis) {
        if (!enabled) {
            return 0;
        }
        if (firstDeferredMillis < 0) {
            return reservedShare;
        }
        long age = Math.max(0, nowMillis - firstDeferredMillis) / generation().toMillis();
        long tier = Math.min(tiers, 1 + age);
        return reservedShare * (tiers - tier) / tiers;
    }

    /** {@code share} of {@code amount}, rounded down; a product a rounding error short of a whole counts as it. */
    public static long wholeShare(long amount, double share) {
        return (long) Math.floor(amount * share + 1e-9);
    }
}
