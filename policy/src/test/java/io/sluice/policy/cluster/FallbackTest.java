package io.sluice.policy.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.config.BucketSync;
import io.sluice.config.ClusterConfig.OnUnavailable;
import io.sluice.policy.ratelimit.BucketSpec;
import io.sluice.policy.ratelimit.Lease;
import io.sluice.policy.ratelimit.LeaseStore;
import io.sluice.policy.ratelimit.LocalRateLimiter;
import io.sluice.policy.ratelimit.ManualClock;
import io.sluice.policy.ratelimit.Probe;
import io.sluice.policy.ratelimit.RateLimiter;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Decisions while the cluster does not answer in time: the deadline, the local share, and the way back. */
class FallbackTest {

    private static final Duration DEADLINE = Duration.ofMillis(100);
    // 30 per second across the cluster; a third of it on each of three nodes.
    private static final BucketSpec SPEC = new BucketSpec(30, 30, Duration.ofSeconds(1), BucketSync.EXACT);

    private final ScheduledExecutorService sweeper = Executors.newSingleThreadScheduledExecutor();
    private final ClusterHealth health = sweptHealth(1);
    private final ManualClock clock = ManualClock.monotonic();
    private final FakeCluster cluster = new FakeCluster(clock);
    private final LocalRateLimiter local = new LocalRateLimiter(clock);

    @AfterEach
    void stopSweeping() {
        sweeper.shutdownNow();
    }

    private ClusterHealth sweptHealth(int minMembers) {
        ClusterHealth swept = new ClusterHealth(DEADLINE, minMembers);
        swept.sweepOn(sweeper);
        return swept;
    }

    /** The limiter of one node of three, falling back to its third of a limit. */
    private RateLimiter limiterOfOneNodeInThree() {
        health.membersChanged(3);
        return new FallbackRateLimiter(cluster, local, health, OnUnavailable.LOCAL_FALLBACK);
    }

    @Test
    void stalledClusterIsAnsweredFromThisNodesShareWithinTheDeadline() {
        RateLimiter limiter = limiterOfOneNodeInThree();
        cluster.stall();

        long start = System.nanoTime();
        CompletableFuture<Probe> first = limiter.tryConsume("k", SPEC, 1);
        Probe answer = get(first);
        Duration waited = Duration.ofNanos(System.nanoTime() - start);

        // 9 of the share's 10 left, told as of the whole bucket of 30.
        assertThat(answer).isEqualTo(Probe.consumed(27));
        assertThat(waited).isGreaterThanOrEqualTo(DEADLINE).isLessThan(DEADLINE.plusSeconds(2));
        assertThat(health.degraded()).isTrue();
        assertThat(health.episodes()).isEqualTo(1);
        assertThat(health.lastKnownMembers()).isEqualTo(3);

        // During the episode the cluster is not asked at all, so answers come at once.
        CompletableFuture<Probe> next = limiter.tryConsume("k", SPEC, 9);
        assertThat(next).isCompletedWithValue(Probe.consumed(0));
        assertThat(get(limiter.tryConsume("k", SPEC, 1)).consumed()).as("the share is ten").isFalse();
        assertThat(cluster.calls()).isEqualTo(1);
        assertThat(health.episodes()).isEqualTo(1);
    }

    @Test
    void failingClusterFallsBackAtOnce() {
        RateLimiter limiter = new FallbackRateLimiter(cluster, local, health, OnUnavailable.LOCAL_FALLBACK);
        cluster.fail();

        assertThat(limiter.tryConsume("k", SPEC, 1)).isCompletedWithValue(Probe.consumed(29));
        assertThat(health.degraded()).isTrue();
        assertThat(health.episodes()).isEqualTo(1);
    }

    @Test
    void clusterThrowingInsteadOfAnsweringFallsBackToo() {
        RateLimiter limiter = new FallbackRateLimiter(cluster, local, health, OnUnavailable.LOCAL_FALLBACK);
        cluster.throwOnCall();

        assertThat(get(limiter.tryConsume("k", SPEC, 1)).consumed()).isTrue();
        assertThat(health.degraded()).isTrue();
    }

    @Test
    void refundsChargesAndCountsGoToTheLocalShareDuringAnEpisode() {
        RateLimiter limiter = limiterOfOneNodeInThree();
        cluster.fail();

        get(limiter.tryConsume("k", SPEC, 4));
        get(limiter.charge("k", SPEC, 3));
        get(limiter.refund("k", SPEC, 1));

        assertThat(get(limiter.available("k", SPEC))).isEqualTo(4);
        assertThat(get(local.available("k", SPEC.shareOf(3)))).isEqualTo(4);
    }

    @Test
    void anEpisodeStartsFromWhatThisNodeHasLeftOfItsShareNotAFullBucket() {
        RateLimiter limiter = limiterOfOneNodeInThree();

        assertThat(get(limiter.tryConsume("k", SPEC, 7))).isEqualTo(Probe.consumed(23));
        get(limiter.charge("k", SPEC, 1));
        cluster.fail();

        assertThat(get(limiter.tryConsume("k", SPEC, 2))).as("10 less the 8 the cluster granted")
                .isEqualTo(Probe.consumed(0));
        assertThat(get(limiter.tryConsume("k", SPEC, 1)).consumed()).isFalse();
    }

    @Test
    void takingMoreThanTheShareFromTheClusterEmptiesTheShareWithoutDebt() {
        RateLimiter limiter = limiterOfOneNodeInThree();

        get(limiter.tryConsume("k", SPEC, 25));
        get(limiter.charge("k", SPEC, 5));

        assertThat(get(local.available("k", SPEC.shareOf(3)))).as("empty, not below zero").isZero();
    }

    @Test
    void whatTheShareGrantedDuringAnEpisodeIsChargedToTheClusterWhenItAnswersAgain() {
        RateLimiter limiter = limiterOfOneNodeInThree();
        cluster.fail();
        get(limiter.tryConsume("k", SPEC, 4));
        get(limiter.tryConsume("k", SPEC, 9));  // refused: not owed
        get(limiter.charge("k", SPEC, 3));
        get(limiter.refund("k", SPEC, 1));
        get(limiter.tryConsume("other", SPEC, 2));

        recover();

        assertThat(get(cluster.available("k", SPEC))).as("30 less 4 + 3 - 1").isEqualTo(24);
        assertThat(get(cluster.available("other", SPEC))).isEqualTo(28);

        cluster.fail();
        get(limiter.tryConsume("k", SPEC, 1));
        recover();
        assertThat(get(cluster.available("k", SPEC))).as("each debt is charged once").isEqualTo(23);
    }

    /**
     * What an episode's share granted is charged only as far as the share is still short of full: the rate refilled
     * the rest meanwhile, in the cluster's bucket as in the share. A minute of fallback at the share's full rate
     * must not leave the cluster's bucket a minute of debt to pay back, refusing every node.
     */
    @Test
    void aLongEpisodeIsChargedWhatTheShareStillLacksNotAllItGranted() {
        RateLimiter limiter = limiterOfOneNodeInThree();
        cluster.fail();
        long granted = 0;
        for (int second = 0; second < 60; second++) {
            clock.advance(Duration.ofSeconds(1));
            granted += get(limiter.tryConsume("k", SPEC, 10)).consumed() ? 10 : 0;
        }
        assertThat(granted).as("the share's rate for a minute").isEqualTo(600);

        recover();

        assertThat(get(cluster.available("k", SPEC))).as("30 less the share's last second, not less 600")
                .isEqualTo(20);
    }

    @Test
    void aResetDuringAnEpisodeReachesTheClusterWhenItAnswersAgain() {
        RateLimiter limiter = limiterOfOneNodeInThree();
        get(limiter.tryConsume("k", SPEC, 30));
        cluster.fail();
        get(limiter.reset("k"));
        get(limiter.tryConsume("k", SPEC, 2));

        recover();

        assertThat(get(cluster.available("k", SPEC))).as("full again, less what the share granted since the reset")
                .isEqualTo(28);
    }

    @Test
    void aRequestTheClusterGrantsAfterTheShareDidIsCountedOnceNotTwice() {
        RateLimiter limiter = limiterOfOneNodeInThree();
        cluster.stall();
        assertThat(get(limiter.tryConsume("k", SPEC, 4))).as("from the share, at the deadline, told as of the whole")
                .isEqualTo(Probe.consumed(18));

        cluster.answerStalled();
        recover();

        assertThat(get(cluster.available("k", SPEC))).as("the late grant, and no debt on top").isEqualTo(26);
        assertThat(get(local.available("k", SPEC.shareOf(3)))).as("the share's own grant only").isEqualTo(6);
    }

    @Test
    void aRequestTheClusterGrantsAfterTheShareRefusedItIsGivenBackToTheCluster() {
        RateLimiter limiter = limiterOfOneNodeInThree();
        get(local.tryConsume("k", SPEC.shareOf(3), 10));
        cluster.stall();
        assertThat(get(limiter.tryConsume("k", SPEC, 4)).consumed()).as("refused by the empty share").isFalse();

        cluster.answerStalled();
        recover();

        assertThat(get(cluster.available("k", SPEC))).as("no tokens taken for a refused request").isEqualTo(30);
    }

    @Test
    void failOpenAdmitsEverything() {
        RateLimiter limiter = new FallbackRateLimiter(cluster, local, health, OnUnavailable.FAIL_OPEN);
        cluster.stall();
        BucketSpec one = new BucketSpec(1, 1, Duration.ofHours(1), BucketSync.EXACT);

        for (int i = 0; i < 50; i++) {
            assertThat(get(limiter.tryConsume("k", one, 1)).consumed()).isTrue();
        }
        assertThat(health.degraded()).isTrue();
        assertThat(get(limiter.available("k", one))).as("what the next request meets").isEqualTo(1);
        assertThat(local.size()).as("nothing counted").isZero();
    }

    @Test
    void failClosedRefusesEverythingWithTheTimeOfOneToken() {
        RateLimiter limiter = new FallbackRateLimiter(cluster, local, health, OnUnavailable.FAIL_CLOSED);
        cluster.stall();

        Probe refused = get(limiter.tryConsume("k", SPEC, 1));

        assertThat(refused.consumed()).isFalse();
        assertThat(refused.nanosToWait()).isEqualTo(Duration.ofSeconds(1).toNanos() / 30);
        assertThat(get(limiter.tryConsume("other", SPEC, 1)).consumed()).isFalse();
        assertThat(get(limiter.available("k", SPEC))).as("what the next request meets").isZero();
    }

    @Test
    void probeEndsTheEpisodeOnlyWhenTheClusterAnswersInTime() {
        RateLimiter limiter = new FallbackRateLimiter(cluster, local, health, OnUnavailable.LOCAL_FALLBACK);
        cluster.stall();
        get(limiter.tryConsume("k", SPEC, 1));
        assertThat(health.degraded()).isTrue();

        CompletableFuture<Integer> slowProbe = new CompletableFuture<>();
        health.probe(() -> slowProbe);
        await().during(DEADLINE.multipliedBy(3)).atMost(Duration.ofSeconds(5)).until(health::degraded);
        slowProbe.complete(0);
        assertThat(health.degraded()).as("an answer after the deadline does not count").isTrue();

        health.probe(() -> CompletableFuture.failedFuture(new IllegalStateException("still down")));
        assertThat(health.degraded()).as("the probe failed").isTrue();

        recover();

        int before = cluster.calls();
        assertThat(get(limiter.tryConsume("k", SPEC, 1)))
                .as("the cluster's own bucket, charged with the token the share granted")
                .isEqualTo(Probe.consumed(28));
        assertThat(cluster.calls()).isEqualTo(before + 1);
        assertThat(health.episodes()).isEqualTo(1);

        cluster.fail();
        get(limiter.tryConsume("k", SPEC, 1));
        assertThat(health.episodes()).as("a new episode").isEqualTo(2);
    }

    @Test
    void probeIsNotSentWhileHealthy() {
        AtomicBoolean sent = new AtomicBoolean();

        health.probe(() -> {
            sent.set(true);
            return CompletableFuture.completedFuture(0);
        });

        assertThat(sent).isFalse();
        assertThat(health.degraded()).isFalse();
        assertThat(health.episodes()).isZero();
    }

    @Test
    void tooFewMembersIsAnEpisodeThatOnlyAProbeWithEnoughMembersEnds() {
        ClusterHealth guarded = sweptHealth(2);
        guarded.membersChanged(3);

        guarded.membersChanged(1);
        assertThat(guarded.degraded()).isTrue();
        assertThat(guarded.lastKnownMembers()).as("the count before the split").isEqualTo(3);

        AtomicBoolean sent = new AtomicBoolean();
        Supplier<CompletableFuture<?>> probe = () -> {
            sent.set(true);
            return CompletableFuture.completedFuture(0);
        };
        guarded.probe(probe);
        assertThat(sent).as("no probe while too few").isFalse();
        assertThat(guarded.degraded()).isTrue();

        guarded.membersChanged(2);
        assertThat(guarded.lastKnownMembers()).isEqualTo(2);
        assertThat(guarded.degraded()).as("until a probe answers").isTrue();
        guarded.probe(probe);
        assertThat(guarded.degraded()).isFalse();
        assertThat(guarded.episodes()).isEqualTo(1);
    }

    @Test
    void leaseGrantedAfterTheDeadlineIsGivenBack() {
        FakeLeases clusterLeases = new FakeLeases(1);
        LeaseStore leases = new FallbackLeaseStore(clusterLeases, health, OnUnavailable.LOCAL_FALLBACK);

        Optional<Lease> answer = get(leases.acquire("k", 6));

        assertThat(answer).as("a slot of this node's reservation").isPresent();
        // The fake's reservation of one: the fallback grants through it (the real one: FallbackLeaseStoreEpisodeTest).
        assertThat(get(leases.acquire("k", 6))).as("none beyond it").isEmpty();
        assertThat(health.degraded()).isTrue();

        RecordingLease late = new RecordingLease();
        clusterLeases.pending.get(0).complete(Optional.of(late));

        await().atMost(Duration.ofSeconds(5)).untilTrue(late.released);
    }

    @Test
    void failOpenAndFailClosedLeases() {
        FakeLeases clusterLeases = new FakeLeases(100);
        LeaseStore open = new FallbackLeaseStore(clusterLeases, health, OnUnavailable.FAIL_OPEN);
        LeaseStore closed = new FallbackLeaseStore(clusterLeases, health,
                OnUnavailable.FAIL_CLOSED);

        Optional<Lease> granted = get(open.acquire("k", 1));
        assertThat(granted).isPresent();
        assertThat(get(open.acquire("k", 1))).as("not counted").isPresent();
        granted.orElseThrow().release();
        assertThat(get(closed.acquire("k", 100))).isEmpty();
    }

    /** The cluster answers again, and a probe ends the episode. */
    private void recover() {
        cluster.answer();
        health.probe(() -> cluster.available("sluice-probe", SPEC));
        await().atMost(Duration.ofSeconds(5)).until(() -> !health.degraded());
    }

    private static <T> T get(CompletableFuture<T> answer) {
        try {
            return answer.get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("no answer: " + e, e);
        }
    }

    /** A cluster lease store whose answers the test gives, late, with a reservation of a few slots. */
    private static final class FakeLeases implements ReservingLeaseStore {

        final List<CompletableFuture<Optional<Lease>>> pending = new CopyOnWriteArrayList<>();
        private final AtomicInteger spare;

        FakeLeases(int reserved) {
            spare = new AtomicInteger(reserved);
        }

        @Override
        public CompletableFuture<Optional<Lease>> acquire(String key, int max) {
            CompletableFuture<Optional<Lease>> answer = new CompletableFuture<>();
            pending.add(answer);
            return answer;
        }

        @Override
        public CompletableFuture<Integer> held(String key) {
            return new CompletableFuture<>();
        }

        @Override
        public Optional<Lease> acquireReserved(String key, int max) {
            return spare.getAndUpdate(left -> Math.max(0, left - 1)) > 0 ? Optional.of(new RecordingLease())
                    : Optional.empty();
        }

        @Override
        public int heldHere(String key) {
            return 0;
        }
    }

    private static final class RecordingLease implements Lease {

        final AtomicBoolean released = new AtomicBoolean();

        @Override
        public void release() {
            released.set(true);
        }
    }
}
