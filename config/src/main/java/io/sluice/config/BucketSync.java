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
 *     its own before it synchronizes (predicting also extrapolates what other nodes spent)
 */
public record BucketSync(Mode mode, long maxUnsyncedTokens, Duration maxUnsyncedTime) {

    public static final BucketSync EXACT = new BucketSync(Mode.EXACT, 1, Duration.ofMillis(100));

    public enum Mode {
        EXACT, BATCHING, DELAYING, PREDICTING;

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
}
