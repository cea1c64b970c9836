package io.sluice.policy.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.config.BucketSync;
import io.sluice.config.ClusterConfig.OnUnavailable;
import io.sluice.policy.ratelimit.BucketSpec;
import io.sluice.policy.ratelimit.LocalRateLimiter;
import io.sluice.policy.ratelimit.ManualClock;
import io.sluice.policy.ratelimit.RateLimiter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.statistics.StatisticsReport;

/**
 * A node whose cluster keeps failing and coming back (a starved CPU, long pauses) must not mint tokens at each
 * switch: over any sequence of requests, pauses, failures and recoveries, what it admits stays within the
 * bucket's capacity plus what the rate refilled in the time elapsed.
 */
class FallbackPropertiesTest {

    private static final BucketSpec SPEC = new BucketSpec(20, 10, Duration.ofSeconds(1), BucketSync.EXACT);

    enum Kind { REQUEST, PAUSE, CLUSTER_FAILS, CLUSTER_RECOVERS }

    /** One thing that happens: a request for {@code amount} tokens, a pause of {@code amount} ms, or a switch. */
    record Step(Kind kind, long amount) {}

    @Property(tries = 2_000)
    @StatisticsReport(onFailureOnly = true)
    void switchingBetweenClusterAndLocalShareNeverAdmitsMoreThanCapacityPlusRefill(
            @ForAll("steps") List<Step> steps) {
        ManualClock clock = ManualClock.monotonic();
        FakeCluster cluster = new FakeCluster(clock);
        ClusterHealth health = new ClusterHealth(Duration.ofSeconds(1), 1);
        RateLimiter limiter = new FallbackRateLimiter(cluster, new LocalRateLimiter(clock), health,
                OnUnavailable.LOCAL_FALLBACK);

        long admitted = 0;
        int episodes = 0;
        for (Step step : steps) {
            switch (step.kind()) {
                case REQUEST -> {
                    if (limiter.tryConsume("k", SPEC, step.amount()).join().consumed()) {
                        admitted += step.amount();
                    }
                }
                case PAUSE -> clock.advance(Duration.ofMillis(step.amount()));
                case CLUSTER_FAILS -> cluster.fail();
                case CLUSTER_RECOVERS -> {
                    cluster.answer();
                    health.probe(() -> CompletableFuture.completedFuture(0));
                }
            }
            episodes = (int) health.episodes();
            double elapsedSeconds = clock.currentTimeNanos() / 1e9;
            assertThat((double) admitted).as("admitted after %s seconds", elapsedSeconds)
                    .isLessThanOrEqualTo(SPEC.capacity() + SPEC.refillTokens() * elapsedSeconds);
        }
        Statistics.label("fallback episodes").collect(episodes == 0 ? "0" : episodes < 5 ? "1-4" : "5+");
    }

    @Provide
    Arbitrary<List<Step>> steps() {
        Arbitrary<Step> step = Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.longs().between(1, 8).map(tokens -> new Step(Kind.REQUEST, tokens))),
                Tuple.of(3, Arbitraries.longs().between(0, 1_500).map(millis -> new Step(Kind.PAUSE, millis))),
                Tuple.of(1, Arbitraries.just(new Step(Kind.CLUSTER_FAILS, 0))),
                Tuple.of(1, Arbitraries.just(new Step(Kind.CLUSTER_RECOVERS, 0))));
        return step.list().ofMaxSize(200);
    }
}
