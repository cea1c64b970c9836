package io.sluice.policy.ratelimit;

import io.github.bucket4j.BucketConfiguration;
import io.sluice.config.BucketSync;
import io.sluice.config.LimitRule;
import java.time.Duration;
import java.util.Objects;

/**
 * The shape of one token bucket: {@code capacity} tokens, refilled greedily (evenly, token by token) at
 * {@code refillTokens} per {@code refillPeriod}.
 */
public record BucketSpec(long capacity, long refillTokens, Duration refillPeriod, BucketSync sync) {

    public BucketSpec {
        if (capacity < 1 || refillTokens < 1) {
            throw new IllegalArgumentException("capacity: " + capacity + ", refillTokens: " + refillTokens
                    + " (expected: >= 1)");
        }
        Objects.requireNonNull(refillPeriod, "refillPeriod");
        Objects.requireNonNull(sync, "sync");
    }

    public static BucketSpec of(LimitRule rule) {
        return new BucketSpec(rule.burst(), rule.rate().tokens(), rule.rate().period(), rule.sync());
    }

    /**
     * The share of one node among {@code nodes}: what each node may admit on its own so that all of them
     * together admit about the whole. Never below one token, so a limit never turns into a total block.
     */
    public BucketSpec shareOf(int nodes) {
        if (nodes <= 1) {
            return this;
        }
        long shareCapacity = Math.max(1, capacity / nodes);
        // Keep the rate exact by stretching the period rather than rounding the token count.
        long shareTokens = Math.max(1, refillTokens / nodes);
        Duration sharePeriod = refillPeriod.multipliedBy(nodes * shareTokens).dividedBy(refillTokens);
        return new BucketSpec(shareCapacity, shareTokens, sharePeriod, sync);
    }

    /**
     * The bucket with its capacity and rate multiplied by {@code factor} (an override), each at least one token.
     * The rate stays exact: the period stretches instead of the token count being rounded.
     */
    public BucketSpec scaled(double factor) {
        if (!(factor > 0)) {
            throw new IllegalArgumentException("factor: " + factor + " (expected: > 0)");
        }
        long scaledCapacity = Math.max(1, Math.round(capacity * factor));
        double exactTokens = refillTokens * factor;
        long scaledTokens = Math.max(1, Math.round(exactTokens));
        long periodNanos = Math.max(1, Math.round(refillPeriod.toNanos() * (scaledTokens / exactTokens)));
        return new BucketSpec(scaledCapacity, scaledTokens, Duration.ofNanos(periodNanos), sync);
    }

    public BucketConfiguration toConfiguration() {
        return BucketConfiguration.builder()
                .addLimit(limit -> limit.capacity(capacity).refillGreedy(refillTokens, refillPeriod))
                .build();
    }
}
