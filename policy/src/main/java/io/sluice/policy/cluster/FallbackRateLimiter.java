package io.sluice.policy.cluster;

import io.sluice.config.ClusterConfig.OnUnavailable;
import io.sluice.policy.ratelimit.BucketSpec;
import io.sluice.policy.ratelimit.LocalRateLimiter;
import io.sluice.policy.ratelimit.Probe;
import io.sluice.policy.ratelimit.RateLimiter;
import java.util.concurrent.CompletableFuture;

/**
 * The cluster's buckets while the cluster answers in time, and otherwise what {@link OnUnavailable} says: local
 * buckets holding this node's share of each limit, admit everything, or refuse everything.
 */
public final class FallbackRateLimiter implements RateLimiter {

    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

    private final RateLimiter cluster;
    private final LocalRateLimiter local;
    private final ClusterHealth health;
    private final OnUnavailable onUnavailable;

    public FallbackRateLimiter(RateLimiter cluster, LocalRateLimiter local, ClusterHealth health,
                               OnUnavailable onUnavailable) {
        this.cluster = cluster;
        this.local = local;
        this.health = health;
        this.onUnavailable = onUnavailable;
    }

    @Override
    public CompletableFuture<Probe> tryConsume(String key, BucketSpec spec, long tokens) {
        return health.call(() -> cluster.tryConsume(key, spec, tokens), () -> switch (onUnavailable) {
            case LOCAL_FALLBACK -> local.tryConsume(key, share(spec), tokens);
            case FAIL_OPEN -> CompletableFuture.completedFuture(Probe.consumed(0));
            case FAIL_CLOSED -> CompletableFuture.completedFuture(
                    new Probe(false, 0, spec.refillPeriod().toNanos() / spec.refillTokens()));
        });
    }

    @Override
    public CompletableFuture<Void> refund(String key, BucketSpec spec, long tokens) {
        return health.call(() -> cluster.refund(key, spec, tokens), () -> onUnavailable == OnUnavailable.LOCAL_FALLBACK
                ? local.refund(key, share(spec), tokens) : DONE);
    }

    @Override
    public CompletableFuture<Void> charge(String key, BucketSpec spec, long tokens) {
        return health.call(() -> cluster.charge(key, spec, tokens), () -> onUnavailable == OnUnavailable.LOCAL_FALLBACK
                ? local.charge(key, share(spec), tokens) : DONE);
    }

    @Override
    public CompletableFuture<Long> available(String key, BucketSpec spec) {
        return health.call(() -> cluster.available(key, spec), () -> local.available(key, share(spec)));
    }

    @Override
    public CompletableFuture<Void> reset(String key) {
        local.reset(key);
        return health.call(() -> cluster.reset(key), () -> DONE);
    }

    private BucketSpec share(BucketSpec spec) {
        return spec.shareOf(health.lastKnownMembers());
    }
}
