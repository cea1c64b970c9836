package io.sluice.policy.cluster;

import static net.logstash.logback.argument.StructuredArguments.kv;

import io.github.bucket4j.TimeMeter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.config.BucketSync;
import io.sluice.config.ClusterConfig;
import io.sluice.config.RetryPriority;
import io.sluice.policy.PolicyMeters;
import io.sluice.policy.fairshare.FairShares;
import io.sluice.policy.fairshare.LocalFairShares;
import io.sluice.policy.ratelimit.BucketSpec;
import io.sluice.policy.ratelimit.LeaseStore;
import io.sluice.policy.ratelimit.LocalLeaseStore;
import io.sluice.policy.ratelimit.LocalRateLimiter;
import io.sluice.policy.ratelimit.RateLimiter;
import io.sluice.policy.retry.DeferredSenders;
import io.sluice.policy.retry.LocalDeferredSenders;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where limit state lives for this process, by cluster mode, with the housekeeping that goes with it: lease
 * renewal, cluster probes during a fallback, and eviction of full local buckets.
 */
public final class LimitStore implements AutoCloseable {

    private static final long PROBE_MILLIS = 1_000;
    private static final long EVICT_MILLIS = 10_000;
    private static final int WARM_UP_REQUESTS = 20;
    private static final BucketSpec WARM_UP_SPEC =
            new BucketSpec(1, 1, Duration.ofSeconds(1), BucketSync.EXACT);
    private static final Logger log = LoggerFactory.getLogger(LimitStore.class);

    private final RateLimiter limiter;
    private final LeaseStore leases;
    private final Optional<ClusterNode> node;
    private final Optional<ClusterHealth> health;
    private final ScheduledExecutorService housekeeping;
    private final Runnable warmUp;

    private LimitStore(RateLimiter limiter, LeaseStore leases, Optional<ClusterNode> node,
                       Optional<ClusterHealth> health, ScheduledExecutorService housekeeping, Runnable warmUp) {
        this.limiter = limiter;
        this.leases = leases;
        this.node = node;
        this.health = health;
        this.housekeeping = housekeeping;
        this.warmUp = warmUp;
    }

    /**
     * Opens the store the config asks for; in embedded and client modes this joins the cluster and makes the first
     * requests to it (see {@link #warmUp()}) first.
     */
    public static LimitStore open(ClusterConfig config, MeterRegistry registry) {
        LimitStore store = join(config, registry);
        store.warmUp();
        return store;
    }

    /**
     * As {@link #open}, but without the first requests: the caller makes them with {@link #warmUp()} before any
     * client's decision, and can make other things meanwhile.
     */
    public static LimitStore join(ClusterConfig config, MeterRegistry registry) {
        ScheduledExecutorService housekeeping = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "sluice-limits");
            thread.setDaemon(true);
            return thread;
        });
        LocalRateLimiter local = new LocalRateLimiter(TimeMeter.SYSTEM_NANOTIME, config.maxBuckets());
        housekeeping.scheduleWithFixedDelay(safely("evicting full buckets", local::evictFull), EVICT_MILLIS,
                EVICT_MILLIS, TimeUnit.MILLISECONDS);
        if (config.mode() == ClusterConfig.Mode.LOCAL) {
            return new LimitStore(local, new LocalLeaseStore(), Optional.empty(), Optional.empty(), housekeeping,
                    () -> { });
        }
        if (!HazelcastCallbacks.onAPool()) {
            log.warn("every cluster decision's callback starts a thread of its own, which makes decisions several"
                    + " times slower; start the JVM with -D" + HazelcastCallbacks.PARALLELISM + "="
                    + HazelcastCallbacks.MIN_THREADS + " (sluice run does this by itself)");
        }
        ClusterNode node = ClusterNode.start(config);
        ClusterHealth health = new ClusterHealth(config.decisionTimeout(), config.minMembers());
        health.sweepOn(housekeeping);
        node.onMembershipChange(health::membersChanged);
        health.membersChanged(node.memberCount());

        // Bucket4j takes the time from the key's owner member; leases need wall-clock time of ours.
        RateLimiter clusterLimiter = new HazelcastRateLimiter(node, Optional.empty());
        HazelcastLeaseStore clusterLeases = new HazelcastLeaseStore(node, config.leaseTtl(), TimeMeter.SYSTEM_MILLISECONDS);
        long renewMillis = Math.max(1, config.leaseTtl().toMillis() / 3);
        housekeeping.scheduleWithFixedDelay(safely("renewing leases", clusterLeases::renew), renewMillis, renewMillis,
                TimeUnit.MILLISECONDS);
        housekeeping.scheduleWithFixedDelay(safely("probing the cluster",
                () -> health.probe(() -> clusterLeases.held("sluice-probe"))), PROBE_MILLIS, PROBE_MILLIS,
                TimeUnit.MILLISECONDS);

        RateLimiter limiter = new FallbackRateLimiter(clusterLimiter, local, health, config.onUnavailable());
        LeaseStore leases = new FallbackLeaseStore(clusterLeases, health, config.onUnavailable());
        Gauge.builder(PolicyMeters.CLUSTER_FALLBACK.meterName(), health, h -> h.degraded() ? 1 : 0)
                .description("1 while limits fall back because the cluster does not answer in time")
                .register(registry);
        FunctionCounter.builder(PolicyMeters.CLUSTER_FALLBACK_EPISODES.meterName(), health, ClusterHealth::episodes)
                .register(registry);
        Gauge.builder(PolicyMeters.CLUSTER_MEMBERS.meterName(), node, ClusterNode::memberCount).register(registry);
        for (ClusterSeal.Kind kind : ClusterSeal.Kind.values()) {
            FunctionCounter.builder(PolicyMeters.CLUSTER_FORGED.meterName(), node.seal(),
                            seal -> seal.forgedCount(kind))
                    .description("cluster entries not signed with the cluster secret, and so not applied")
                    .tag("kind", kind.tagValue())
                    .register(registry);
        }
        return new LimitStore(limiter, leases, Optional.of(node), Optional.of(health), housekeeping,
                () -> warmUp(clusterLimiter, clusterLeases));
    }

    /** A scheduled task that survives its own failures: one exception would cancel every later run. */
    private static Runnable safely(String what, Runnable task) {
        return () -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                log.warn("housekeeping failed; trying again at the next turn", kv("task", what), kv("error", e.toString()));
            }
        };
    }

    /**
     * Makes the first requests before any client does: they load classes and assign partitions, which on a
     * cold JVM takes longer than a decision may, and would start every node off in a fallback episode. Without a
     * cluster there is nothing to warm up.
     */
    public void warmUp() {
        warmUp.run();
    }

    private static void warmUp(RateLimiter limiter, HazelcastLeaseStore leases) {
        try {
            for (int i = 0; i < WARM_UP_REQUESTS; i++) {
                limiter.available("sluice-warm-up", WARM_UP_SPEC).get(30, TimeUnit.SECONDS);
                leases.held("sluice-warm-up").get(30, TimeUnit.SECONDS);
            }
        } catch (ExecutionException | TimeoutException e) {
            log.warn("cluster slow to answer at start", kv("error", e.toString()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A store of this process only, with the given clock and no housekeeping (tests, benchmarks). */
    public static LimitStore local(TimeMeter clock) {
        return new LimitStore(new LocalRateLimiter(clock), new LocalLeaseStore(), Optional.empty(), Optional.empty(),
                null, () -> { });
    }

    public RateLimiter limiter() {
        return limiter;
    }

    public LeaseStore leases() {
        return leases;
    }

    public Optional<ClusterNode> node() {
        return node;
    }

    /**
     * Where deferred senders are remembered, as this store's mode has it: across the cluster, exchanged on the
     * housekeeping thread every {@link ClusterDeferredSenders#TURN_MILLIS}, or on this node alone.
     */
    public DeferredSenders deferredSenders(RetryPriority config, Clock clock) {
        if (node.isPresent() && housekeeping != null) {
            return new ClusterDeferredSenders(node.get(), config, clock, housekeeping);
        }
        return new LocalDeferredSenders(config, clock);
    }

    /**
     * Where fair shares are kept, as this store's mode has it: from every node's demand, exchanged on the housekeeping
     * thread once a window, or from this node's alone.
     */
    public FairShares fairShares(Clock clock) {
        if (node.isPresent() && housekeeping != null) {
            return new ClusterFairShares(node.get(), clock, housekeeping);
        }
        return new LocalFairShares(clock);
    }

    public Optional<ClusterHealth> health() {
        return health;
    }

    /** Leaves the cluster gracefully (a member hands over its partitions first). */
    @Override
    public void close() {
        if (housekeeping != null) {
            housekeeping.shutdownNow();
        }
        node.ifPresent(ClusterNode::close);
    }
}
