package io.sluice.policy.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.hazelcast.map.IMap;
import com.hazelcast.map.LocalMapStats;
import io.sluice.config.BucketSync;
import io.sluice.config.ClusterConfig;
import io.sluice.policy.ratelimit.BucketSpec;
import io.sluice.policy.ratelimit.ManualClock;
import io.sluice.policy.ratelimit.Probe;
import io.sluice.policy.ratelimit.RateLimiter;
import io.sluice.policy.ratelimit.RateLimiterContract;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ForkJoinWorkerThread;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class HazelcastRateLimiterTest extends RateLimiterContract {

    @RegisterExtension
    static final StandaloneMember MEMBER = new StandaloneMember(Duration.ofSeconds(30));

    private static final BucketSpec SYNCED_EVERY_50_MS = new BucketSpec(100, 1, Duration.ofHours(1),
            new BucketSync(BucketSync.Mode.PREDICTING, 10, Duration.ofMillis(50)));
    private static final BucketSpec EXACT_100 = new BucketSpec(100, 1, Duration.ofHours(1), BucketSync.EXACT);

    // One node alone gains nothing from an optimization: its local copy of the bucket is the whole truth.
    @ParameterizedTest
    @EnumSource(value = BucketSync.Mode.class, names = "EXACT", mode = EnumSource.Mode.EXCLUDE)
    void optimizedSyncStillAdmitsOnlyTheBurstFromOneNode(BucketSync.Mode mode) {
        ManualClock clock = newClock();
        RateLimiter limiter = newLimiter(clock);
        BucketSpec spec = new BucketSpec(10, 10, Duration.ofSeconds(1), new BucketSync(mode, 3, Duration.ofMillis(50)));
        String key = "sync-" + mode + "-" + UUID.randomUUID();

        assertThat(admitted(limiter, key, spec, 15)).isEqualTo(10);

        clock.advance(Duration.ofSeconds(1));

        // Never more than a second's refill; an optimized copy may hold back tokens it has not synchronized yet, fewer
        // than it may spend unsynchronized (auto, predicting: 5 for this bucket of 10).
        long unsynced = spec.sync().forCapacity(spec.capacity()).maxUnsyncedTokens();
        assertThat(admitted(limiter, key, spec, 15)).as("a second's refill").isBetween(10 - unsynced + 1, 10L);
    }

    /**
     * Requests kept above a floor, all in flight at once (a batch, with batching sync), never take the floor's
     * tokens, not even for a moment: the requests without a floor made among them get exactly those.
     */
    @ParameterizedTest
    @EnumSource(value = BucketSync.Mode.class, names = {"EXACT", "BATCHING"})
    void requestsKeptAboveAFloorLeaveItToTheOthersEvenInOneBatch(BucketSync.Mode mode) {
        RateLimiter limiter = newLimiter(newClock());
        BucketSpec spec = new BucketSpec(10, 10, Duration.ofHours(1), new BucketSync(mode, 3, Duration.ofMillis(50)));
        String key = "floor-" + mode + "-" + UUID.randomUUID();

        // Interleaved: with the floor's tokens taken and given back a moment later, some plain requests would miss.
        List<CompletableFuture<Probe>> kept = new ArrayList<>();
        List<CompletableFuture<Probe>> plain = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            kept.add(limiter.tryConsumeAbove(key, spec, 1, 3));
            if (i % 10 == 9) {
                plain.add(limiter.tryConsume(key, spec, 1));
            }
        }

        assertThat(kept.stream().filter(probe -> get(probe).consumed()).count()).isEqualTo(7);
        assertThat(plain).allMatch(probe -> get(probe).consumed());
        Probe refused = kept.stream().map(HazelcastRateLimiterTest::get).filter(probe -> !probe.consumed())
                .findFirst().orElseThrow();
        assertThat(refused.remaining()).as("what the bucket has, floor included").isBetween(0L, 3L);
        assertThat(get(limiter.available(key, spec))).isZero();
        Probe late = get(limiter.tryConsumeAbove(key, spec, 1, 3));
        assertThat(late.consumed()).isFalse();
        assertThat(late.nanosToWait()).as("until the floor and one token are back: 4 of 6 minutes")
                .isEqualTo(Duration.ofMinutes(24).toNanos());
    }

    /**
     * A request that this node's copy must first synchronize for, only because its time ran out, is answered at once
     * while the bucket is far from empty, and its token is taken in the cluster all the same.
     */
    @Test
    void aRequestTheCopyMustSynchronizeForIsAnsweredAheadWhileTheBucketIsFarFromEmpty() {
        ManualClock clock = newClock();
        HazelcastRateLimiter limiter = newLimiter(clock);
        String key = "ahead-" + UUID.randomUUID();
        answeredByTheCopy(limiter, clock, key);

        clock.advance(Duration.ofMillis(20));
        IMap<String, byte[]> buckets = heldUp(key);
        CompletableFuture<Probe> due = limiter.tryConsume(key, SYNCED_EVERY_50_MS, 1);

        assertThat(due).as("answered while the key's owner cannot answer").isDone();
        assertThat(get(due)).isEqualTo(Probe.consumed(96));
        buckets.forceUnlock(key);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(get(limiter.available(key, EXACT_100))).as("the cluster's count").isEqualTo(96));
    }

    /**
     * The bound of answering ahead: a bucket that another node emptied since this node's copy last answered admits one
     * request more, the one answered ahead, and the next learns the cluster's word.
     */
    @Test
    void aBucketEmptiedElsewhereAdmitsOnlyTheOneRequestAnsweredAhead() {
        ManualClock clock = newClock();
        String key = "emptied-" + UUID.randomUUID();
        HazelcastRateLimiter node = answeredThenEmptiedElsewhere(clock, key);

        clock.advance(Duration.ofMillis(20));
        IMap<String, byte[]> buckets = heldUp(key);

        assertThat(get(node.tryConsume(key, SYNCED_EVERY_50_MS, 1)).consumed()).as("answered ahead").isTrue();
        buckets.forceUnlock(key);
        await().atMost(Duration.ofSeconds(10)).until(() -> !node.answeredAhead(key));
        assertThat(get(node.tryConsume(key, SYNCED_EVERY_50_MS, 1)).consumed()).as("the cluster's word").isFalse();
        assertThat(get(node.available(key, EXACT_100))).as("the cluster's count").isLessThanOrEqualTo(0);
    }

    /** An answer older than the copy's {@code max-unsynced-time} says too little of the bucket to answer ahead from. */
    @Test
    void anAnswerOlderThanTheCopysTimeAnswersNothingAhead() {
        ManualClock clock = newClock();
        String key = "stale-" + UUID.randomUUID();
        HazelcastRateLimiter node = answeredThenEmptiedElsewhere(clock, key);

        clock.advance(Duration.ofMillis(100));
        IMap<String, byte[]> buckets = heldUp(key);
        CompletableFuture<Probe> due = node.tryConsume(key, SYNCED_EVERY_50_MS, 1);

        assertThat(due).as("waiting for the key's owner").isNotDone();
        buckets.forceUnlock(key);
        assertThat(get(due).consumed()).as("the cluster's answer").isFalse();
    }

    /** A batching bucket keeps no copy on this node: every request waits for the key's owner, however full it is. */
    @Test
    void aBatchingBucketAnswersNothingAhead() {
        String key = "batching-" + UUID.randomUUID();
        BucketSpec batching = new BucketSpec(100, 1, Duration.ofHours(1),
                new BucketSync(BucketSync.Mode.BATCHING, 10, Duration.ofMillis(50)));
        HazelcastRateLimiter node = newLimiter(newClock());
        assertThat(get(node.tryConsume(key, batching, 1)).consumed()).isTrue();

        IMap<String, byte[]> buckets = heldUp(key);
        CompletableFuture<Probe> due = node.tryConsume(key, batching, 1);

        assertThat(due).as("waiting for the key's owner").isNotDone();
        buckets.forceUnlock(key);
        assertThat(get(due).remaining()).isEqualTo(98);
    }

    /** The key locked by another thread: requests on it wait on its owner until {@code forceUnlock}. */
    private static IMap<String, byte[]> heldUp(String key) {
        IMap<String, byte[]> buckets = MEMBER.node().hazelcast().getMap(HazelcastRateLimiter.MAP);
        CompletableFuture.runAsync(() -> buckets.lock(key)).join();
        return buckets;
    }

    /**
     * A node whose copy answered ({@link #answeredByTheCopy}); then another node takes what the cluster has left: 98,
     * the copy's last token not synchronized yet.
     */
    private HazelcastRateLimiter answeredThenEmptiedElsewhere(ManualClock clock, String key) {
        HazelcastRateLimiter node = newLimiter(clock);
        answeredByTheCopy(node, clock, key);
        assertThat(admitted(newLimiter(clock), key, EXACT_100, 200)).as("what another node found").isEqualTo(98);
        return node;
    }

    /**
     * Two requests the copy synchronizes for (predicting needs two samples of the bucket), the cluster's answers in,
     * then one the copy answers itself 40 ms later, with 97 tokens left.
     */
    private static void answeredByTheCopy(HazelcastRateLimiter limiter, ManualClock clock, String key) {
        assertThat(get(limiter.tryConsume(key, SYNCED_EVERY_50_MS, 1)).consumed()).isTrue();
        assertThat(get(limiter.tryConsume(key, SYNCED_EVERY_50_MS, 1)).consumed()).isTrue();
        await().atMost(Duration.ofSeconds(10)).until(() -> !limiter.answeredAhead(key));
        clock.advance(Duration.ofMillis(40));
        CompletableFuture<Probe> local = limiter.tryConsume(key, SYNCED_EVERY_50_MS, 1);
        assertThat(local).isDone();
        assertThat(get(local).remaining()).isEqualTo(97);
    }

    @Test
    void answersContinueWhereTheyCompleteNotOnTheCommonPool() {
        RateLimiter limiter = newLimiter(newClock());
        BucketSpec spec = new BucketSpec(100, 100, Duration.ofSeconds(1), BucketSync.EXACT);
        String key = "thread-" + UUID.randomUUID();

        // One hand-over less for every decision (ClusterAnswers): the partition thread that answered runs the later
        // stages, or this thread when the answer was in first. On Hazelcast's own futures every stage, this test's
        // too, would be a task on the common pool.
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            threads.add(get(limiter.tryConsume(key, spec, 1).thenApply(probe -> Thread.currentThread())));
        }
        assertThat(threads).noneMatch(thread -> thread instanceof ForkJoinWorkerThread);
    }

    /**
     * With two members, each holds at most the bound, primaries and backups together, and the cluster at most the
     * bound of keys: the bound is per partition, and a member holds one replica of a partition at most. Backups are
     * asynchronous, so a backup's eviction may trail its primary's by a moment.
     */
    @Test
    void eachOfTwoMembersHoldsAtMostTheBound() {
        int maxBuckets = 2_710;
        List<ClusterConfig> configs = TestClusters.members(TestClusters.clusterName(HazelcastRateLimiterTest.class), 2,
                Duration.ofSeconds(5), Duration.ofSeconds(30));
        ClusterNode first = ClusterNode.start(configs.get(0).withMaxBuckets(maxBuckets));
        try (ClusterNode second = ClusterNode.start(configs.get(1).withMaxBuckets(maxBuckets))) {
            await().atMost(Duration.ofSeconds(30)).until(() -> first.memberCount() == 2 && second.memberCount() == 2);
            HazelcastRateLimiter limiter = new HazelcastRateLimiter(first, Optional.empty());
            long[] mostPrimaries = new long[1];
            Bounded both = new Bounded(limiter, () -> Math.max(held(first), held(second)), () -> {});

            long most = flood(both, "per-sender|" + UUID.randomUUID() + "|", 20_000, () -> mostPrimaries[0] =
                    Math.max(mostPrimaries[0], Math.max(primaries(first), primaries(second))));

            assertThat(mostPrimaries[0]).as("primaries one member held at any time").isLessThanOrEqualTo(maxBuckets);
            assertThat(most).as("primaries and backups one member held at any time")
                    .isLessThanOrEqualTo(maxBuckets + maxBuckets / 100);
            assertThat(first.hazelcast().getMap(HazelcastRateLimiter.MAP).size()).as("keys in the cluster")
                    .isBetween(maxBuckets * 9 / 10, maxBuckets);
        } finally {
            first.close();
        }
    }

    private static long primaries(ClusterNode member) {
        return member.hazelcast().getMap(HazelcastRateLimiter.MAP).getLocalMapStats().getOwnedEntryCount();
    }

    // Primaries and backups the member holds.
    static long held(ClusterNode member) {
        LocalMapStats stats = member.hazelcast().getMap(HazelcastRateLimiter.MAP).getLocalMapStats();
        return stats.getOwnedEntryCount() + stats.getBackupEntryCount();
    }

    private static long admitted(RateLimiter limiter, String key, BucketSpec spec, int requests) {
        long admitted = 0;
        for (int i = 0; i < requests; i++) {
            admitted += get(limiter.tryConsume(key, spec, 1)).consumed() ? 1 : 0;
        }
        return admitted;
    }

    @Override
    protected HazelcastRateLimiter newLimiter(ManualClock clock) {
        return new HazelcastRateLimiter(MEMBER.node(), Optional.of(clock));
    }

    @Override
    protected ManualClock newClock() {
        return ManualClock.wall();
    }

    // A member of its own: the map's bound is part of the member's configuration.
    @Override
    protected Bounded newBoundedLimiter(ManualClock clock, int maxBuckets) {
        ClusterNode member = TestClusters.boundedMember(HazelcastRateLimiterTest.class, maxBuckets);
        return new Bounded(new HazelcastRateLimiter(member, Optional.of(clock)), () -> held(member), member::close);
    }
}
