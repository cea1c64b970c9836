package io.sluice.policy.ratelimit;

import java.util.concurrent.CompletableFuture;

/**
 * Token buckets by key, created on first use from their spec. One contract for the local and the cluster-wide
 * implementation; every call is asynchronous so that callers on an event loop never block.
 */
public interface RateLimiter {

    /** Takes {@code tokens} if the bucket has them. */
    CompletableFuture<Probe> tryConsume(String key, BucketSpec spec, long tokens);

    /** Gives back tokens taken for a request that another limit refused; never above the capacity. */
    CompletableFuture<Void> refund(String key, BucketSpec spec, long tokens);

    /** Takes tokens whether or not the bucket has them (it may go into debt): for what happened already. */
    CompletableFuture<Void> charge(String key, BucketSpec spec, long tokens);

    /** Tokens the bucket has now. */
    CompletableFuture<Long> available(String key, BucketSpec spec);

    /** Forgets the bucket: its next use starts full. */
    CompletableFuture<Void> reset(String key);
}
