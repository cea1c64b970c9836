package io.sluice.policy.ratelimit;

import java.util.concurrent.CompletableFuture;

/**
 * Token buckets by key, created on first use from their spec. One contract for the local and the cluster-wide
 * implementation; every call is asynchronous so that callers on an event loop never block.
 */
public interface RateLimiter {

    /** Takes {@code tokens} if the bucket has them. */
    CompletableFuture<Probe> tryConsume(String key, BucketSpec spec, long tokens);

    /**
     * Takes {@code tokens} only if the bucket keeps at least {@code floor} after them, in one step on the bucket, so
     * that a sender kept out of a reserve never holds its tokens even for a moment; refused, the retry hint is the
     * time until the bucket has {@code floor + tokens}, and what is left may be told as at least {@code floor} (the
     * floor is borrowed while the tokens are tried). An implementation that cannot check both at once answers as
     * {@link #tryConsume} does (the default), and the caller refuses and gives back what went below the floor.
     */
    default CompletableFuture<Probe> tryConsumeAbove(String key, BucketSpec spec, long tokens, long floor) {
        return tryConsume(key, spec, tokens);
    }

    /** Gives back tokens taken for a request that another limit refused; never above the capacity. */
    CompletableFuture<Void> refund(String key, BucketSpec spec, long tokens);

    /** Takes tokens whether or not the bucket has them (it may go into debt): for what happened already. */
    CompletableFuture<Void> charge(String key, BucketSpec spec, long tokens);

    /** Tokens the bucket has now. */
    CompletableFuture<Long> available(String key, BucketSpec spec);

    /** Forgets the bucket: its next use starts full. */
    CompletableFuture<Void> reset(String key);
}
