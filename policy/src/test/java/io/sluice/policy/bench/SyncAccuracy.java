package io.sluice.policy.bench;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.config.BucketSync;
import io.sluice.config.ClusterConfig;
import io.sluice.config.HostPort;
import io.sluice.policy.cluster.HazelcastCallbacks;
import io.sluice.policy.cluster.LimitStore;
import io.sluice.policy.ratelimit.BucketSpec;
import io.sluice.policy.ratelimit.RateLimiter;
import io.sluice.testing.TestPorts;
import io.sluice.testing.TestSecrets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Recorder;

/**
 * What Bucket4j's optimizations cost in accuracy, and what they save in time: three members on loopback take tokens
 * from one global bucket from two threads each, once per sync mode, and the admitted count is compared with
 * burst + rate × time; each request's wait is recorded too (two thirds of the requests come from a member that does
 * not own the key). Prints one line per mode; bounded by its duration per mode.
 *
 * <p>Arguments: seconds per mode (default 10); requests per second offered by all threads together (default 0: as
 * fast as they can ask); the modes (default all of them, e.g. {@code exact,predicting,auto}). {@code auto} is the
 * default sync for this bucket ({@link BucketSync#forCapacity}); delaying and predicting run with 10 tokens and
 * 100 ms.
 */
public final class SyncAccuracy {

    static {
        // As sluice run does first thing, so that the decisions' callbacks run where they run in the proxy.
        HazelcastCallbacks.useAPool();
    }

    private static final long RATE_PER_SECOND = 200;
    private static final long BURST = 20;
    private static final int NODES = 3;
    private static final int THREADS_PER_NODE = 2;

    private SyncAccuracy() {
    }

    public static void main(String[] args) throws Exception {
        Duration run = Duration.ofSeconds(args.length > 0 ? Long.parseLong(args[0]) : 10);
        long offered = args.length > 1 ? Long.parseLong(args[1]) : 0;
        List<BucketSync.Mode> modes = new ArrayList<>();
        if (args.length > 2) {
            for (String mode : args[2].split(",")) {
                modes.add(BucketSync.Mode.valueOf(mode.trim().toUpperCase(Locale.ROOT)));
            }
        } else {
            modes.addAll(List.of(BucketSync.Mode.values()));
        }
        List<HostPort> members = new ArrayList<>();
        for (int i = 0; i < NODES; i++) {
            members.add(new HostPort("127.0.0.1", TestPorts.freeOnLoopback()));
        }
        String name = "accuracy-" + UUID.randomUUID();
        List<LimitStore> stores = new ArrayList<>();
        try {
            for (HostPort member : members) {
                stores.add(LimitStore.open(new ClusterConfig(ClusterConfig.Mode.EMBEDDED, name, member,
                        ClusterConfig.Discovery.TCP_IP, members, "", ClusterConfig.OnUnavailable.LOCAL_FALLBACK,
                        Duration.ofSeconds(5), 1, Duration.ofSeconds(30), Optional.empty(),
                        Optional.of(TestSecrets.CLUSTER), Optional.empty()), new SimpleMeterRegistry()));
            }
            System.out.printf("%d members, %d threads each, bucket %d/s burst %d, %ds per mode, offered %s%n", NODES,
                    THREADS_PER_NODE, RATE_PER_SECOND, BURST, run.toSeconds(),
                    offered > 0 ? offered + " requests/s" : "as fast as the threads ask");
            System.out.printf("%-26s %9s %9s %8s %11s %9s %9s %9s %9s%n", "sync", "admitted", "expected", "error",
                    "requests/s", "mean us", "p50 us", "p99 us", "p99.9 us");
            for (BucketSync.Mode mode : modes) {
                measure(stores, sync(mode), run, offered);
            }
        } finally {
            stores.forEach(LimitStore::close);
        }
    }

    private static BucketSync sync(BucketSync.Mode mode) {
        return mode == BucketSync.Mode.DELAYING || mode == BucketSync.Mode.PREDICTING
                ? new BucketSync(mode, 10, Duration.ofMillis(100))
                : new BucketSync(mode, 1, Duration.ofMillis(100));
    }

    private static void measure(List<LimitStore> stores, BucketSync sync, Duration run, long offered)
            throws InterruptedException {
        BucketSpec spec = new BucketSpec(BURST, RATE_PER_SECOND, Duration.ofSeconds(1), sync);
        String key = "accuracy-" + sync.mode() + "-" + UUID.randomUUID();
        AtomicLong admitted = new AtomicLong();
        AtomicLong requests = new AtomicLong();
        AtomicLong busyNanos = new AtomicLong();
        Recorder waits = new Recorder(TimeUnit.SECONDS.toNanos(10), 3);
        List<Thread> threads = new ArrayList<>();
        int threadCount = stores.size() * THREADS_PER_NODE;
        // Paced: each thread asks at its own fixed interval, staggered, so that together they offer the rate.
        long interval = offered > 0 ? TimeUnit.SECONDS.toNanos(1) * threadCount / offered : 0;
        long start = System.nanoTime();
        long end = start + run.toNanos();
        for (LimitStore store : stores) {
            RateLimiter limiter = store.limiter();
            for (int t = 0; t < THREADS_PER_NODE; t++) {
                long first = start + interval * threads.size() / threadCount;
                Thread thread = new Thread(() -> {
                    try {
                        long next = first;
                        while (System.nanoTime() < end) {
                            if (interval > 0) {
                                long ahead = next - System.nanoTime();
                                if (ahead > 0) {
                                    LockSupport.parkNanos(ahead);
                                    continue;
                                }
                                next += interval;
                            }
                            long asked = System.nanoTime();
                            if (Parked.await(limiter.tryConsume(key, spec, 1)).consumed()) {
                                admitted.incrementAndGet();
                            }
                            long waited = System.nanoTime() - asked;
                            busyNanos.addAndGet(waited);
                            waits.recordValue(Math.min(waited, TimeUnit.SECONDS.toNanos(10)));
                            requests.incrementAndGet();
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
                thread.start();
                threads.add(thread);
            }
        }
        for (Thread thread : threads) {
            thread.join();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        double expected = BURST + RATE_PER_SECOND * seconds;
        var histogram = waits.getIntervalHistogram();
        BucketSync effective = sync.forCapacity(BURST);
        String name = sync.mode() == BucketSync.Mode.AUTO
                ? "auto (" + effective.mode().yamlName()
                        + (effective.mode() == BucketSync.Mode.EXACT ? "" : " " + effective.maxUnsyncedTokens()) + ")"
                : sync.mode().yamlName();
        System.out.printf("%-26s %9d %9.0f %+7.2f%% %11.0f %9.1f %9.1f %9.1f %9.1f%n", name, admitted.get(),
                expected, (admitted.get() - expected) / expected * 100, requests.get() / seconds,
                busyNanos.get() / 1e3 / requests.get(), histogram.getValueAtPercentile(50) / 1e3,
                histogram.getValueAtPercentile(99) / 1e3, histogram.getValueAtPercentile(99.9) / 1e3);
    }
}
