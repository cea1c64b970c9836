package io.sluice.policy.cluster;

import io.sluice.config.ClusterConfig.OnUnavailable;
import io.sluice.policy.ratelimit.BucketSpec;
import io.sluice.policy.ratelimit.LocalRateLimiter;
import io.sluice.policy.ratelimit.Probe;
import io.sluice.policy.ratelimit.RateLimiter;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The cluster's buckets while the cluster answers in time, and otherwise what {@link OnUnavailable} says: local
 * buckets holding this node's share of each limit, admit everything, or refuse everything.
 *
 * <p>With the local fallback, switching between the two must not mint tokens, or a cluster that keeps missing
 * its deadline (a starved CPU, a long GC) would admit a fresh burst at every switch. So both ways are accounted:
 * what the cluster grants this node is also taken from its local share (never below zero), so an episode starts
 * from what this node has left rather than a full bucket; and what the share grants during an episode is owed to
 * the cluster and charged to its buckets when the episode ends. The charge is at most what the share still lacks
 * then: the rate refilled the rest in the cluster's bucket as in the share, and charging every grant of a long episode
 * would leave the cluster a debt as long as the episode. Refunds and resets made during an episode reach the cluster
 * when it ends too.
 */
public final class FallbackRateLimiter implements RateLimiter {

    private static final int NOBODY = 0;
    private static final int CLUSTER = 1;
    private static final int SHARE = 2;

    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);
    // Bounds the debts one episode keeps; keys beyond it go uncharged (the cluster then undercounts them once).
    private static final int MAX_DEBTS = 100_000;

    private final RateLimiter cluster;
    private final LocalRateLimiter local;
    private final ClusterHealth health;
    private final OnUnavailable onUnavailable;
    private final Map<String, Debt> owed = new ConcurrentHashMap<>();
    // Keys reset during the episode, bounded like the debts.
    private final Set<String> resets = ConcurrentHashMap.newKeySet();

    /** Tokens a key's cluster bucket is owed for what the local share granted. */
    private record Debt(BucketSpec spec, AtomicLong tokens) {}

    public FallbackRateLimiter(RateLimiter cluster, LocalRateLimiter local, ClusterHealth health,
                               OnUnavailable onUnavailable) {
        this.cluster = cluster;
        this.local = local;
        this.health = health;
        this.onUnavailable = onUnavailable;
        health.onRecovery(this::settle);
    }

    @Override
    public CompletableFuture<Probe> tryConsume(String key, BucketSpec spec, long tokens) {
        return tryConsumeAbove(key, spec, tokens, 0);
    }

    /** The cluster's buckets check the floor; the local share does not, and the caller refuses what went below it. */
    @Override
    public CompletableFuture<Probe> tryConsumeAbove(String key, BucketSpec spec, long tokens, long floor) {
        // Who answered first: the cluster in time (its grant then mirrored in the share), or the share, because the
        // cluster was late; the cluster's answer may still come, and count.
        AtomicInteger answeredBy = new AtomicInteger(NOBODY);
        return health.call(() -> cluster.tryConsumeAbove(key, spec, tokens, floor).thenApply(probe -> {
            if (probe.consumed() && mirrored()) {
                if (answeredBy.compareAndSet(NOBODY, CLUSTER)) {
                    local.drain(key, share(spec), tokens);
                } else {
                    // The cluster took the tokens after all, for a request the share answered: if the share granted
                    // it, its grant is owed no more; if it refused it, nobody used them and the cluster gets them back.
                    owe(key, spec, -tokens);
                }
            }
            return probe;
        }), () -> switch (onUnavailable) {
            case LOCAL_FALLBACK -> {
                if (!answeredBy.compareAndSet(NOBODY, SHARE)) {
                    // The cluster's grant came as the deadline passed and was mirrored: undo it, the share answers.
                    local.refund(key, share(spec), tokens);
                    owe(key, spec, -tokens);
                }
                yield local.tryConsume(key, share(spec), tokens).thenApply(probe -> {
                    if (probe.consumed()) {
                        owe(key, spec, tokens);
                    }
                    return asWhole(probe, spec);
                });
            }
            // What is left is told as of a full bucket: a reserved share is never hit while nothing is counted.
            case FAIL_OPEN -> CompletableFuture.completedFuture(Probe.consumed(spec.capacity()));
            case FAIL_CLOSED -> CompletableFuture.completedFuture(
                    new Probe(false, 0, spec.refillPeriod().toNanos() / spec.refillTokens()));
        });
    }

    /**
     * The share's answer with what is left scaled to the whole bucket, as the cluster's answer tells it: a reserved
     * share of the bucket is then the same share of the share.
     */
    private Probe asWhole(Probe probe, BucketSpec spec) {
        long shareCapacity = share(spec).capacity();
        if (shareCapacity == spec.capacity()) {
            return probe;
        }
        long remaining = (long) ((double) probe.remaining() * spec.capacity() / shareCapacity);
        return new Probe(probe.consumed(), remaining, probe.nanosToWait());
    }

    @Override
    public CompletableFuture<Void> refund(String key, BucketSpec spec, long tokens) {
        return health.call(() -> cluster.refund(key, spec, tokens).thenCompose(done -> mirrored()
                ? local.refund(key, share(spec), tokens) : DONE), () -> {
            if (!mirrored()) {
                return DONE;
            }
            owe(key, spec, -tokens);
            return local.refund(key, share(spec), tokens);
        });
    }

    @Override
    public CompletableFuture<Void> charge(String key, BucketSpec spec, long tokens) {
        return health.call(() -> cluster.charge(key, spec, tokens).thenApply(done -> {
            if (mirrored()) {
                local.drain(key, share(spec), tokens);
            }
            return done;
        }), () -> {
            if (!mirrored()) {
                return DONE;
            }
            owe(key, spec, tokens);
            return local.charge(key, share(spec), tokens);
        });
    }

    @Override
    public CompletableFuture<Long> available(String key, BucketSpec spec) {
        return health.call(() -> cluster.available(key, spec), () -> switch (onUnavailable) {
            case LOCAL_FALLBACK -> local.available(key, share(spec));
            // What the next request meets: a full bucket, or an empty one.
            case FAIL_OPEN -> CompletableFuture.completedFuture(spec.capacity());
            case FAIL_CLOSED -> CompletableFuture.completedFuture(0L);
        });
    }

    @Override
    public CompletableFuture<Void> reset(String key) {
        local.reset(key);
        owed.remove(key);
        return health.call(() -> cluster.reset(key), () -> {
            if (mirrored() && resets.size() < MAX_DEBTS) {
                resets.add(key);
            }
            return DONE;
        });
    }

    /** Settles with the cluster's buckets what the local shares did during the episode that just ended. */
    private void settle() {
        resets.forEach(key -> {
            if (resets.remove(key)) {
                // What the share granted since the reset is owed to the bucket as the reset leaves it.
                Debt debt = owed.remove(key);
                cluster.reset(key).thenRun(() -> pay(key, debt));
            }
        });
        owed.forEach((key, debt) -> {
            if (owed.remove(key, debt)) {
                pay(key, debt);
            }
        });
    }

    private void pay(String key, Debt debt) {
        if (debt == null) {
            return;
        }
        long tokens = debt.tokens().get();
        if (tokens > 0) {
            long charged = Math.min(tokens, local.missing(key));
            if (charged > 0) {
                cluster.charge(key, debt.spec(), charged);
            }
        } else if (tokens < 0) {
            // Given back during the episode, for tokens the cluster had granted.
            cluster.refund(key, debt.spec(), -tokens);
        }
    }

    private boolean mirrored() {
        return onUnavailable == OnUnavailable.LOCAL_FALLBACK;
    }

    private void owe(String key, BucketSpec spec, long tokens) {
        Debt debt = owed.get(key);
        if (debt == null) {
            if (owed.size() >= MAX_DEBTS) {
                return;
            }
            debt = owed.computeIfAbsent(key, k -> new Debt(spec, new AtomicLong()));
        }
        debt.tokens().addAndGet(tokens);
    }

    private BucketSpec share(BucketSpec spec) {
        return spec.shareOf(health.lastKnownMembers());
    }
}
