package io.sluice.policy.cluster;

import io.sluice.policy.ratelimit.BucketSpec;
import io.sluice.policy.ratelimit.Probe;
import io.sluice.policy.ratelimit.RateLimiter;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/** A limiter that hands every call on to another, through {@link #call} and with the spec {@link #spec} makes. */
abstract class ForwardingRateLimiter implements RateLimiter {

    private final RateLimiter target;

    ForwardingRateLimiter(RateLimiter target) {
        this.target = target;
    }

    /** Makes the call the target answers; by default just that. */
    <T> CompletableFuture<T> call(Supplier<CompletableFuture<T>> call) {
        return call.get();
    }

    /** The spec the target is asked for, for the one the caller named; by default the same. */
    BucketSpec spec(BucketSpec asked) {
        return asked;
    }

    @Override
    public CompletableFuture<Probe> tryConsume(String key, BucketSpec spec, long tokens) {
        return call(() -> target.tryConsume(key, spec(spec), tokens));
    }

    @Override
    public CompletableFuture<Probe> tryConsumeAbove(String key, BucketSpec spec, long tokens, long floor) {
        return call(() -> target.tryConsumeAbove(key, spec(spec), tokens, floor));
    }

    @Override
    public CompletableFuture<Void> refund(String key, BucketSpec spec, long tokens) {
        return call(() -> target.refund(key, spec(spec), tokens));
    }

    @Override
    public CompletableFuture<Void> charge(String key, BucketSpec spec, long tokens) {
        return call(() -> target.charge(key, spec(spec), tokens));
    }

    @Override
    public CompletableFuture<Long> available(String key, BucketSpec spec) {
        return call(() -> target.available(key, spec(spec)));
    }

    @Override
    public CompletableFuture<Void> reset(String key) {
        return call(() -> target.reset(key));
    }
}
