package io.sluice.policy.bench;

import java.util.Optional;
import io.sluice.testing.TestSecrets;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.config.BucketSync;
import io.sluice.config.ClusterConfig;
import io.sluice.config.HostPort;
import io.sluice.policy.cluster.LimitStore;
import io.sluice.policy.ratelimit.BucketSpec;
import io.sluice.policy.ratelimit.RateLimiter;
import io.sluice.testing.TestPorts;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What Bucket4j's optimizations cost in accuracy: three members on loopback take tokens from one global bucket
 * as fast as two threads each can ask, once per sync mode, and the admitted count is compared with
 * burst + rate × time. Prints one line per mode; bounded by its duration per mode.
 *
 * <p>Arguments: seconds per mode (default 10).
 */
public final class SyncAccuracy {

    private static final long RATE_PER_SECOND = 200;
    private static final long BURST = 20;
    private static final int NODES = 3;
    private static final int THREADS_PER_NODE = 2;

    private SyncAccuracy() {
    }

    public static void main(String[] args) throws Exception {
        Duration run = Duration.ofSeconds(args.length > 0 ? Long.parseLong(args[0]) : 10);
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
            System.out.printf("%d members, %d threads each, bucket %d/s burst %d, %ds per mode%n", NODES,
                    THREADS_PER_NODE, RATE_PER_SECOND, BURST, run.toSeconds());
            System.out.printf("%-11s %10s %10s %8s %12s %12s%n", "sync", "admitted", "expected", "error",
                    "requests/s", "mean us");
            for (BucketSync.Mode mode : BucketSync.Mode.values()) {
                measure(stores, new BucketSync(mode, 10, Duration.ofMillis(100)), run);
            }
        } finally {
            stores.forEach(LimitStore::close);
        }
    }

    private static void measure(List<LimitStore> stores, BucketSync sync, Duration run) throws InterruptedException {
        BucketSpec spec = new BucketSpec(BURST, RATE_PER_SECOND, Duration.ofSeconds(1), sync);
        String key = "accuracy-" + sync.mode() + "-" + UUID.randomUUID();
        AtomicLong admitted = new AtomicLong();
        AtomicLong requests = new AtomicLong();
        AtomicLong busyNanos = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        long start = System.nanoTime();
        long end = start + run.toNanos();
        for (LimitStore store : stores) {
            RateLimiter limiter = store.limiter();
            for (int t = 0; t < THREADS_PER_NODE; t++) {
                Thread thread = new Thread(() -> {
                    try {
                        while (System.nanoTime() < end) {
                            long asked = System.nanoTime();
                            if (Parked.await(limiter.tryConsume(key, spec, 1)).consumed()) {
                                admitted.incrementAndGet();
                            }
                            busyNanos.addAndGet(System.nanoTime() - asked);
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
        System.out.printf("%-11s %10d %10.0f %+7.2f%% %12.0f %12.1f%n", sync.mode().yamlName(), admitted.get(),
                expected, (admitted.get() - expected) / expected * 100, requests.get() / seconds,
                busyNanos.get() / 1e3 / requests.get());
    }
}
