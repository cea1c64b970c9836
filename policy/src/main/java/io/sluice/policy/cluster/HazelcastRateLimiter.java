package io.sluice.policy.cluster;

import com.hazelcast.map.IMap;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.distributed.AsyncBucketProxy;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.AsyncProxyManager;
import io.github.bucket4j.distributed.proxy.ClientSideConfig;
import io.github.bucket4j.distributed.proxy.RemoteAsyncBucketBuilder;
import io.github.bucket4j.distributed.proxy.optimization.DelayParameters;
import io.github.bucket4j.distributed.proxy.optimization.NopeOptimizationListener;
import io.github.bucket4j.distributed.proxy.optimization.Optimization;
import io.github.bucket4j.distributed.proxy.optimization.Optimizations;
import io.github.bucket4j.distributed.proxy.optimization.PredictionParameters;
import io.github.bucket4j.distributed.proxy.optimization.delay.DelayOptimization;
import io.github.bucket4j.distributed.remote.commands.AddTokensCommand;
import io.github.bucket4j.distributed.remote.commands.ConsumeIgnoringRateLimitsCommand;
import io.github.bucket4j.distributed.remote.commands.MultiCommand;
import io.github.bucket4j.distributed.remote.commands.TryConsumeAndReturnRemainingTokensCommand;
import io.github.bucket4j.distributed.proxy.optimization.predictive.PredictiveOptimization;
import io.sluice.config.BucketSync;
import io.sluice.policy.ratelimit.BucketSpec;
import io.sluice.policy.ratelimit.Probe;
import io.sluice.policy.ratelimit.RateLimiter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Token buckets shared by the whole cluster: Bucket4j buckets in a Hazelcast map, each request an entry
 * processor run atomically on the key's owner member. Buckets left alone expire once they would be full again.
 */
public final class HazelcastRateLimiter implements RateLimiter {

    static final String MAP = "sluice-buckets";
    // A bucket is kept this long past the time it would take to refill, then forgotten (it would be full anyway).
    private static final Duration KEEP_AFTER_REFILL = Duration.ofSeconds(10);
    // Bounds the proxies kept for buckets whose sync optimization holds state between requests.
    private static final int MAX_OPTIMIZED_PROXIES = 100_000;

    private final ClusterAnswers.BucketProxies owner;
    private final AsyncProxyManager<String> proxies;
    // The optimizations' own clock, for when to synchronize; it must be the buckets' clock, or local copies of a
    // bucket refill by the difference between the two.
    private final TimeMeter optimizationClock;
    private final Map<String, KeptBucket> optimized = new ConcurrentHashMap<>();

    /**
     * The proxy of a bucket whose sync optimization holds state on this node, and the answers given ahead of its
     * copy's synchronizations (never for {@code batching}, which keeps no copy).
     */
    private record KeptBucket(AsyncBucketProxy proxy, AnswerAhead ahead) {
    }

    /**
     * @param clock the time requests are made at; empty uses the owner member's clock, which keeps buckets
     *     consistent when the nodes' clocks differ a little
     */
    public HazelcastRateLimiter(ClusterNode cluster, Optional<TimeMeter> clock) {
        IMap<String, byte[]> map = cluster.hazelcast().getMap(MAP);
        ClientSideConfig config = ClientSideConfig.getDefault().withExpirationAfterWriteStrategy(
                ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(KEEP_AFTER_REFILL));
        if (clock.isPresent()) {
            config = config.withClientClock(clock.get());
        }
        this.owner = new ClusterAnswers.BucketProxies(map, config);
        this.proxies = owner.asAsync();
        this.optimizationClock = clock.orElse(TimeMeter.SYSTEM_MILLISECONDS);
    }

    /**
     * The request, on the key's owner or on this node's copy of the bucket; where the copy must first synchronize, a
     * bucket far from empty answers ahead of the cluster ({@link AnswerAhead}).
     */
    @Override
    public CompletableFuture<Probe> tryConsume(String key, BucketSpec spec, long tokens) {
        BucketSync sync = spec.sync().forCapacity(spec.capacity());
        if (sync.mode() == BucketSync.Mode.EXACT || sync.mode() == BucketSync.Mode.BATCHING) {
            // No copy on this node that could answer: the answer is the owner's.
            return probe(bucket(key, spec, sync).tryConsumeAndReturnRemaining(tokens));
        }
        KeptBucket bucket = kept(key, spec, sync);
        CompletableFuture<Probe> answer = probe(bucket.proxy().tryConsumeAndReturnRemaining(tokens));
        AnswerAhead ahead = bucket.ahead();
        if (answer.isDone()) {
            // The common case: the copy answered on its own.
            record(ahead, answer.isCompletedExceptionally() ? null : answer.join());
            return answer;
        }
        long left = ahead.take(tokens, optimizationClock.currentTimeNanos());
        answer.whenComplete((probe, error) -> record(ahead, error == null ? probe : null));
        return left < 0 ? answer : CompletableFuture.completedFuture(Probe.consumed(left));
    }

    /** The bucket's answer, or null where the request failed. */
    private void record(AnswerAhead ahead, Probe answer) {
        if (answer == null) {
            ahead.failed();
        } else {
            ahead.answered(answer.remaining(), optimizationClock.currentTimeNanos());
        }
    }

    private static CompletableFuture<Probe> probe(CompletableFuture<ConsumptionProbe> answer) {
        return answer.thenApply(probe -> new Probe(probe.isConsumed(), probe.getRemainingTokens(),
                probe.getNanosToWaitForRefill()));
    }

    /**
     * With {@code exact} and {@code batching} sync, one request on the key's owner (past the batching, which has no
     * command for it): the floor taken away (the bucket may go into debt), the tokens tried, the floor given back.
     * Nothing else runs on the entry in between, so no other request sees the floor gone: a batch of first-time
     * senders, answered one after the other and refunded a batch later, would otherwise hold the reserve that the
     * returning senders of the same batch then find empty. The delaying and predicting copies answer from this
     * node's memory, where the caller's check and refund are as immediate, and keep their speed.
     */
    @Override
    public CompletableFuture<Probe> tryConsumeAbove(String key, BucketSpec spec, long tokens, long floor) {
        BucketSync.Mode mode = spec.sync().forCapacity(spec.capacity()).mode();
        if (floor <= 0 || mode == BucketSync.Mode.DELAYING || mode == BucketSync.Mode.PREDICTING) {
            return tryConsume(key, spec, tokens);
        }
        return owner.executeAsync(key, spec.toConfiguration(), new MultiCommand(List.of(
                        new ConsumeIgnoringRateLimitsCommand(floor),
                        new TryConsumeAndReturnRemainingTokensCommand(tokens),
                        new AddTokensCommand(floor))))
                .thenApply(results -> {
                    ConsumptionProbe probe = (ConsumptionProbe) results.getResults().get(1).getData();
                    return new Probe(probe.isConsumed(), probe.getRemainingTokens() + floor,
                            probe.getNanosToWaitForRefill());
                });
    }

    @Override
    public CompletableFuture<Void> refund(String key, BucketSpec spec, long tokens) {
        return bucket(key, spec).addTokens(tokens);
    }

    @Override
    public CompletableFuture<Void> charge(String key, BucketSpec spec, long tokens) {
        return bucket(key, spec).consumeIgnoringRateLimits(tokens).thenApply(ignored -> null);
    }

    @Override
    public CompletableFuture<Long> available(String key, BucketSpec spec) {
        return bucket(key, spec).getAvailableTokens();
    }

    @Override
    public CompletableFuture<Void> reset(String key) {
        optimized.remove(key);
        return proxies.removeProxy(key);
    }

    /** Whether a request for the key was answered ahead of the cluster, whose answer is still to come (tests). */
    boolean answeredAhead(String key) {
        KeptBucket kept = optimized.get(key);
        return kept != null && kept.ahead().outstanding();
    }

    private AsyncBucketProxy bucket(String key, BucketSpec spec) {
        return bucket(key, spec, spec.sync().forCapacity(spec.capacity()));
    }

    private AsyncBucketProxy bucket(String key, BucketSpec spec, BucketSync sync) {
        return sync.mode() == BucketSync.Mode.EXACT ? fresh(key, spec) : kept(key, spec, sync).proxy();
    }

    /** Without an optimization a proxy holds no state: a new one per request is cheap. */
    private AsyncBucketProxy fresh(String key, BucketSpec spec) {
        return proxies.builder().build(key, () -> CompletableFuture.completedFuture(spec.toConfiguration()));
    }

    private KeptBucket kept(String key, BucketSpec spec, BucketSync sync) {
        KeptBucket kept = optimized.get(key);
        if (kept != null) {
            // The common case: no capturing function to build per request.
            return kept;
        }
        if (optimized.size() > MAX_OPTIMIZED_PROXIES) {
            optimized.clear();
        }
        return optimized.computeIfAbsent(key, k -> {
            RemoteAsyncBucketBuilder<String> builder =
                    proxies.builder().withOptimization(optimization(sync, optimizationClock));
            return new KeptBucket(builder.build(k, () -> CompletableFuture.completedFuture(spec.toConfiguration())),
                    new AnswerAhead(sync.maxUnsyncedTokens(), sync.maxUnsyncedTime().toNanos()));
        });
    }

    private static Optimization optimization(BucketSync sync, TimeMeter clock) {
        DelayParameters delay = new DelayParameters(sync.maxUnsyncedTokens(), sync.maxUnsyncedTime());
        // As Optimizations.delaying and .predicting build them, but with the buckets' clock instead of the system's.
        return switch (sync.mode()) {
            case BATCHING -> Optimizations.batching();
            case DELAYING -> new DelayOptimization(delay, NopeOptimizationListener.INSTANCE, clock);
            case PREDICTING -> new PredictiveOptimization(PredictionParameters.createDefault(delay), delay,
                    NopeOptimizationListener.INSTANCE, clock);
            case EXACT, AUTO -> throw new IllegalArgumentException(sync.mode().yamlName() + " sync has no optimization");
        };
    }
}
