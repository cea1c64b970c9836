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
 *     is predicting by a thousandth of the bucket's capacity per node, or by up to 10 tokens for a bucket under
 *     10,000 ({@link #forCapacity})
 */
public record BucketSync(Mode mode, long maxUnsyncedTokens, Duration maxUnsyncedTime) {

    public static final BucketSync EXACT = new BucketSync(Mode.EXACT, 1, Duration.ofMillis(100));
    public static final BucketSync AUTO = new BucketSync(Mode.AUTO, 1, Duration.ofMillis(100));

    /** Auto lets each node spend this fraction of a bucket's capacity on its own: 1 / 1000. */
    public static final long AUTO_CAPACITY_DIVISOR = 1_000;

    /**
     * Auto lets each node spend at least this many tokens of a smaller bucket on its own (at most half the bucket), so
     * that most decisions on it are answered without a round trip to the key's owner.
     */
    public static final long AUTO_LEAST_UNSYNCED_TOKENS = 10;

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
     * The sync a bucket of {@code capacity} tokens gets: auto becomes predicting by {@code capacity / 1000} tokens, at
     * least 10 or half the bucket, whichever is less, and {@code maxUnsyncedTime}; exact for a bucket of one token.
     * The other modes are what they say. Across n nodes a bucket may admit up to n × that many tokens beyond its
     * limit at a moment (0.1% of the capacity per node for a bucket of 10,000 or more), which it then takes back
     * from the refill: the nodes hand in what they spent, the bucket goes into debt and refuses until it is repaid,
     * so the rate over time is the rule's (loadtest/bench/README.md, {@code policy-bench.sh}: the choice and its
     * figures).
     */
    public BucketSync forCapacity(long capacity) {
        if (mode != Mode.AUTO) {
            return this;
        }
        long unsynced = Math.max(capacity / AUTO_CAPACITY_DIVISOR, Math.min(AUTO_LEAST_UNSYNCED_TOKENS, capacity / 2));
        return unsynced < 1 ? EXACT : new BucketSync(Mode.PREDICTING, unsynced, maxUnsyncedTime);
    }
}
