package io.sluice.policy.ratelimit;

import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.local.LocalBucket;
import io.github.bucket4j.local.SynchronizationStrategy;
import io.sluice.config.ClusterConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Buckets kept in this process only: the limiter of the {@code local} cluster mode and of the fallback when
 * the cluster cannot answer. Answers complete at once, on the caller's thread.
 *
 * <p>At most {@code maxBuckets} are kept, the least recently used going first, so that keys an attacker chooses
 * cannot grow the map without end. A map in access order under one lock is exact LRU without a cache library; the
 * lock covers a lookup (and the creation of a new bucket), while the tokens are counted outside it, on the bucket.
 */
public final class LocalRateLimiter implements RateLimiter {

    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

    private final TimeMeter clock;
    // Guarded by itself.
    private final Map<String, Entry> buckets;

    private record Entry(BucketSpec spec, LocalBucket bucket) {}

    /** Buckets on {@code clock}, at most {@link ClusterConfig#DEFAULT_MAX_BUCKETS} of them. */
    public LocalRateLimiter(TimeMeter clock) {
        this(clock, ClusterConfig.DEFAULT_MAX_BUCKETS);
    }

    public LocalRateLimiter(TimeMeter clock, int maxBuckets) {
        if (maxBuckets < 1) {
            throw new IllegalArgumentException("maxBuckets: " + maxBuckets + " (expected: >= 1)");
        }
        this.clock = clock;
        this.buckets = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Entry> eldest) {
                return size() > maxBuckets;
            }
        };
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

    /** Tokens the key's bucket lacks to be full, its debt included; zero when no bucket is held for the key. */
    public long missing(String key) {
        Entry entry;
        synchronized (buckets) {
            entry = buckets.get(key);
        }
        return entry == null ? 0 : Math.max(0, entry.spec().capacity() - entry.bucket().getAvailableTokens());
    }

    @Override
    public CompletableFuture<Long> available(String key, BucketSpec spec) {
        return CompletableFuture.completedFuture(bucket(key, spec).getAvailableTokens());
    }

    @Override
    public CompletableFuture<Void> reset(String key) {
        synchronized (buckets) {
            buckets.remove(key);
        }
        return DONE;
    }

    /**
     * Drops buckets that have refilled to capacity: a full bucket is the same as a new one, so memory stays
     * bounded by the keys active within one refill time. Call it now and then.
     */
    public void evictFull() {
        List<Map.Entry<String, Entry>> held;
        synchronized (buckets) {
            held = buckets.entrySet().stream().map(entry -> Map.entry(entry.getKey(), entry.getValue())).toList();
        }
        // Checked outside the lock, so decisions do not wait for a walk over every bucket.
        for (Map.Entry<String, Entry> candidate : held) {
            Entry entry = candidate.getValue();
            if (entry.bucket().getAvailableTokens() >= entry.spec().capacity()) {
                synchronized (buckets) {
                    buckets.remove(candidate.getKey(), entry);
                }
            }
        }
    }

    /** Buckets held now. */
    public int size() {
        synchronized (buckets) {
            return buckets.size();
        }
    }

    private LocalBucket bucket(String key, BucketSpec spec) {
        synchronized (buckets) {
            Entry entry = buckets.get(key);
            if (entry == null || !entry.spec().equals(spec)) {
                // A changed spec (a new policy, or a new fallback share) starts a fresh bucket.
                entry = new Entry(spec, newBucket(spec));
                buckets.put(key, entry);
            }
            return entry.bucket();
        }
    }

    private LocalBucket newBucket(BucketSpec spec) {
        return Bucket.builder()
                .addLimit(limit -> limit.capacity(spec.capacity()).refillGreedy(spec.refillTokens(), spec.refillPeriod()))
                .withCustomTimePrecision(clock)
                .withSynchronizationStrategy(SynchronizationStrategy.LOCK_FREE)
                .build();
    }
}
