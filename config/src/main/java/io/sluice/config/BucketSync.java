package io.sluice.config;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * How closely a rule's cluster-wide bucket is kept in step, trading accuracy for round trips (Bucket4j's
 * optimizations). Ignored by the local limiter.
 *
 * @param mode exact asks the cluster for every decision; batching merges concurrent requests of one node;
 *     delaying and predicting let a node spend up to {@code maxUnsyncedTokens} or {@code maxUnsyncedTime} on
 *     its own before it synchronizes (predicting also extrapolates what other nodes spent); auto, the default,
 *     is delaying by a thousandth of the bucket's capacity per node, and exact where that is below one token
 *     ({@link #forCapacity})
 */
public record BucketSync(Mode mode, long maxUnsyncedTokens, Duration maxUnsyncedTime) {

    public static final BucketSync EXACT = new BucketSync(Mode.EXACT, 1, Duration.ofMillis(100));
    public static final BucketSync AUTO = new BucketSync(Mode.AUTO, 1, Duration.ofMillis(100));

    /** Auto lets each node spend this fraction of a bucket's capacity on its own: 1 / 1000. */
    public static final long AUTO_CAPACITY_DIVISOR = 1_000;

    public enum Mode {
        EXACT, BATCHING, DELAYING, PREDICTING, AUTO;

        public String yamlName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public BucketSync {
        Objects.requireNonNull(mode, "mode");
        if (maxUnsyncedTokens < 1) {
            throw new IllegalArgumentException("maxUnsyncedTokens: " + maxUnsyncedTokens + " (expected: >= 1)");
        }
        SmtpTimeouts.requirePositive(maxUnsyncedTime, "maxUnsyncedTime");
    }

    /**
     * The sync a bucket of {@code capacity} tokens gets: auto becomes delaying by {@code capacity / 1000} tokens and
     * {@code maxUnsyncedTime}, or exact when that is below one token (a rule of up to 1999 tokens stays exact to the
     * token, or nearly); the other modes are what they say. Across n nodes, a bucket then admits at most n × that
     * many tokens beyond its limit: 0.1% of the capacity per node.
     */
    public BucketSync forCapacity(long capacity) {
        if (mode != Mode.AUTO) {
            return this;
        }
        long unsynced = capacity / AUTO_CAPACITY_DIVISOR;
        return unsynced < 1 ? EXACT : new BucketSync(Mode.DELAYING, unsynced, maxUnsyncedTime);
    }
}
