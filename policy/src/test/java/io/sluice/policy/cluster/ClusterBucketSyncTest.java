package io.sluice.policy.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.config.BucketSync;
import io.sluice.config.ClusterConfig;
import io.sluice.policy.ratelimit.BucketSpec;
import io.sluice.policy.ratelimit.Probe;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The default sync on three embedded members, each taking from one bucket on two threads at once: a bucket of large
 * capacity admits within 0.1% of its capacity per member of it, and a small one (as of a rule of 100/min) within the
 * 10 tokens each member may spend before it synchronizes; a rule that needs every token exact says {@code sync: exact},
 * and gets its capacity to the token.
 */
class ClusterBucketSyncTest {

    private static final int NODES = 3;
    private static final int THREADS_PER_NODE = 2;

    private static final List<LimitStore> stores = new ArrayList<>();

    @BeforeAll
    static void startCluster() {
        List<ClusterConfig> configs = TestClusters.members(TestClusters.clusterName(ClusterBucketSyncTest.class),
                NODES, Duration.ofSeconds(5), Duration.ofSeconds(30));
        for (ClusterConfig config : configs) {
            stores.add(LimitStore.open(config, new SimpleMeterRegistry()));
        }
        TestClusters.awaitFormed(stores, NODES);
    }

    @AfterAll
    static void stopCluster() {
        stores.forEach(LimitStore::close);
    }

    @Test
    void largeBucketAdmitsWithinAThousandthOfItsCapacityPerMember() throws Exception {
        // No refill to speak of while the test runs: what it admits is what it held.
        long capacity = 20_000;
        BucketSpec large = new BucketSpec(capacity, 1, Duration.ofHours(1), BucketSync.AUTO);
        BucketSync sync = BucketSync.AUTO.forCapacity(capacity);
        assertThat(sync.mode()).isEqualTo(BucketSync.Mode.PREDICTING);
        assertThat(sync.maxUnsyncedTokens()).isEqualTo(capacity / BucketSync.AUTO_CAPACITY_DIVISOR);

        long admitted = takeFromAllNodes("large", large, 2 * capacity);

        assertThat(admitted).as("the capacity, within the unsynced tokens of each member")
                .isBetween(capacity - NODES * sync.maxUnsyncedTokens(), capacity + NODES * sync.maxUnsyncedTokens());
        assertNoFallback();
    }

    @Test
    void smallBucketAdmitsWithinTheTokensEachMemberSpendsUnsynchronized() throws Exception {
        // A rule of 100/min has a bucket of 100; this one refills too slowly to add a token while the test runs.
        BucketSpec hundred = new BucketSpec(100, 1, Duration.ofHours(1), BucketSync.AUTO);
        BucketSync sync = BucketSync.AUTO.forCapacity(100);
        assertThat(sync).isEqualTo(new BucketSync(BucketSync.Mode.PREDICTING, BucketSync.AUTO_LEAST_UNSYNCED_TOKENS,
                BucketSync.AUTO.maxUnsyncedTime()));

        long admitted = takeFromAllNodes("small", hundred, 600);

        assertThat(admitted).as("the capacity, within the unsynced tokens of each member")
                .isBetween(100 - NODES * sync.maxUnsyncedTokens(), 100 + NODES * sync.maxUnsyncedTokens());
        assertNoFallback();
    }

    @Test
    void exactSyncAdmitsTheCapacityToTheToken() throws Exception {
        BucketSpec hundred = new BucketSpec(100, 1, Duration.ofHours(1), BucketSync.EXACT);

        long admitted = takeFromAllNodes("exact", hundred, 600);

        assertThat(admitted).isEqualTo(100);
        assertThat(get(stores.get(0).limiter().available("exact", hundred))).isZero();
        assertNoFallback();
    }

    /** Tokens taken by {@code requests} requests spread over every node's threads. */
    private static long takeFromAllNodes(String key, BucketSpec spec, long requests) throws Exception {
        AtomicLong admitted = new AtomicLong();
        ExecutorService threads = Executors.newFixedThreadPool(NODES * THREADS_PER_NODE);
        try {
            List<Future<?>> workers = new ArrayList<>();
            long perThread = requests / (NODES * THREADS_PER_NODE);
            for (int t = 0; t < NODES * THREADS_PER_NODE; t++) {
                LimitStore store = stores.get(t % NODES);
                workers.add(threads.submit(() -> {
                    for (long i = 0; i < perThread; i++) {
                        if (get(store.limiter().tryConsume(key, spec, 1)).consumed()) {
                            admitted.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> worker : workers) {
                worker.get(2, TimeUnit.MINUTES);
            }
        } finally {
            threads.shutdown();
        }
        return admitted.get();
    }

    private static void assertNoFallback() {
        for (LimitStore store : stores) {
            assertThat(store.health().orElseThrow().episodes()).as("answered by the cluster throughout").isZero();
        }
    }

    private static <T> T get(CompletableFuture<T> answer) {
        try {
            return answer.get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("no answer: " + e, e);
        }
    }
}
