package io.sluice.policy.ratelimit;

import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.local.LocalBucket;
import io.github.bucket4j.local.SynchronizationStrategy;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Buckets kept in this process only: the limiter of the {@code local} cluster mode and of the fallback when
 * the cluster cannot answer. Answers complete at once, on the caller's thread.
 */
public final class LocalRateLimiter implements RateLimiter {

    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

    private final TimeMeter clock;
    private final Map<String, Entry> buckets = new ConcurrentHashMap<>();

    private record Entry(BucketSpec spec, LocalBucket bucket) {}

    public LocalRateLimiter(TimeMeter clock) {
        this.clock = clock;
    }

    @Override
    public CompletableFuture<Probe> tryConsume(String key, BucketSpec spec, long tokens) {
        ConsumptionProbe probe = bucket(key, spec).tryConsumeAndReturnRemaining(tokens);
        return CompletableFuture.completedFuture(
                new Probe(probe.isConsumed(), probe.getRemainingTokens(), probe.getNanosToWaitForRefill()));
    }

    @Override
    public CompletableFuture<Void> refund(String key, BucketSpec spec, long tokens) {
        bucket(key, spec).addTokens(tokens);
        return DONE;
    }

    @Override
    public CompletableFuture<Void> charge(String key, BucketSpec spec, long tokens) {
        bucket(key, spec).consumeIgnoringRateLimits(tokens);
        return DONE;
    }

    /**
     * Takes up to {@code tokens}, as many as the bucket has, never going into debt: for mirroring what was taken
     * elsewhere into a bucket that must not be held back longer than its own refill.
     */
    public void drain(String key, BucketSpec spec, long tokens) {
        bucket(key, spec).tryConsumeAsMuchAsPossible(tokens);
    }

    @Override
    public CompletableFuture<Long> available(String key, BucketSpec spec) {
        return CompletableFuture.completedFuture(bucket(key, spec).getAvailableTokens());
    }

    @Override
    public CompletableFuture<Void> reset(String key) {
        buckets.remove(key);
        return DONE;
    }

    /**
     * Drops buckets that have refilled to capacity: a full bucket is the same as a new one, so memory stays
     * bounded by the keys active within one refill time. Call it now and then.
     */
    public void evictFull() {
        buckets.values().removeIf(entry -> entry.bucket().getAvailableTokens() >= entry.spec().capacity());
    }

    /** Buckets held now. */
    public int size() {
        return buckets.size();
    }

    private LocalBucket bucket(String key, BucketSpec spec) {
        Entry entry = buckets.get(key);
        if (entry == null || !entry.spec().equals(spec)) {
            // A changed spec (a new policy, or a new fallback share) starts a fresh bucket.
            entry = buckets.compute(key, (k, old) -> old != null && old.spec().equals(spec) ? old
                    : new Entry(spec, newBucket(spec)));
        }
        return entry.bucket();
    }

    private LocalBucket newBucket(BucketSpec spec) {
        return Bucket.builder()
                .addLimit(limit -> limit.capacity(spec.capacity()).refillGreedy(spec.refillTokens(), spec.refillPeriod()))
                .withCustomTimePrecision(clock)
                .withSynchronizationStrategy(SynchronizationStrategy.LOCK_FREE)
                .build();
    }
}
