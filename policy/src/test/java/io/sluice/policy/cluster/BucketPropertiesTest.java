package io.sluice.policy.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.config.BucketSync;
import io.sluice.policy.ratelimit.BucketSpec;
import io.sluice.policy.ratelimit.LocalRateLimiter;
import io.sluice.policy.ratelimit.ManualClock;
import io.sluice.policy.ratelimit.Probe;
import io.sluice.policy.ratelimit.RateLimiter;
import java.math.BigInteger;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.statistics.StatisticsReport;

/**
 * A bucket never admits more than its capacity plus what its rate refilled in the time elapsed, whatever the
 * sizes of requests and the gaps between them: for the local buckets and for the cluster's.
 */
class BucketPropertiesTest {

    private static ClusterNode node;
    private static ManualClock clusterClock;
    private static RateLimiter cluster;

    @BeforeContainer
    static void startMember() {
        node = ClusterNode.start(TestClusters.standalone(TestClusters.clusterName(BucketPropertiesTest.class),
                Duration.ofSeconds(30)));
        // One clock for every try: it only moves forward, and each try has a bucket of its own.
        clusterClock = ManualClock.wall();
        cluster = new HazelcastRateLimiter(node, Optional.of(clusterClock));
    }

    @AfterContainer
    static void stopMember() {
        node.close();
    }

    @Property
    @StatisticsReport(onFailureOnly = true)
    void localBucketNeverAdmitsMoreThanCapacityPlusRefill(@ForAll("specs") BucketSpec spec,
                                                          @ForAll("steps") List<Step> steps) {
        ManualClock clock = ManualClock.monotonic();
        boolean refusedAny = check(new LocalRateLimiter(clock), clock, spec, steps);

        Statistics.label("refused any").collect(refusedAny);
        // Requests beyond what the bucket holds must come up often, or the bound is hardly tested.
        Statistics.label("refused any").coverage(coverage -> coverage.check(true).percentage(p -> p > 30));
    }

    @Property(tries = 30)
    void clusterBucketNeverAdmitsMoreThanCapacityPlusRefill(@ForAll("specs") BucketSpec spec,
                                                            @ForAll("steps") List<Step> steps) {
        check(cluster, clusterClock, spec, steps);
    }

    /** Runs the steps against a new bucket, checking the bound after each; whether any request was refused. */
    private static boolean check(RateLimiter limiter, ManualClock clock, BucketSpec spec, List<Step> steps) {
        String key = "property-" + UUID.randomUUID();
        long start = clock.currentTimeNanos();
        long admitted = 0;
        boolean refusedAny = false;
        for (Step step : steps) {
            clock.advanceNanos(spec.refillPeriod().toNanos() * step.periodPermille() / 1000 + step.extraNanos());
            long tokens = Math.max(1, spec.capacity() * step.capacityPermille() / 1000);
            Probe probe = get(limiter, key, spec, tokens);
            if (admitted == 0 && !refusedAny && tokens <= spec.capacity()) {
                // A bucket starts full; a limiter refusing everything would pass the bound trivially.
                assertThat(probe.consumed()).as("first request, %s", step).isTrue();
            }
            if (probe.consumed()) {
                admitted += tokens;
            } else {
                refusedAny = true;
            }
            assertThat(BigInteger.valueOf(admitted)).as("admitted after %s", step)
                    .isLessThanOrEqualTo(bound(spec, clock.currentTimeNanos() - start));
        }
        return refusedAny;
    }

    /** capacity + floor(refillTokens × elapsed / refillPeriod), exactly. */
    private static BigInteger bound(BucketSpec spec, long elapsedNanos) {
        return BigInteger.valueOf(spec.capacity()).add(BigInteger.valueOf(spec.refillTokens())
                .multiply(BigInteger.valueOf(elapsedNanos))
                .divide(BigInteger.valueOf(spec.refillPeriod().toNanos())));
    }

    private static Probe get(RateLimiter limiter, String key, BucketSpec spec, long tokens) {
        try {
            return limiter.tryConsume(key, spec, tokens).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("no answer: " + e, e);
        }
    }

    @Provide
    Arbitrary<BucketSpec> specs() {
        return Combinators.combine(
                Arbitraries.longs().between(1, 1_000),
                Arbitraries.longs().between(1, 1_000),
                Arbitraries.longs().between(1, 3_600_000).map(Duration::ofMillis))
                .as((capacity, tokens, period) -> new BucketSpec(capacity, tokens, period, BucketSync.EXACT));
    }

    /**
     * Gaps between requests as thousandths of the refill period (mostly short, so the bucket runs dry), and
     * request sizes as thousandths of the capacity (up to a little more than all of it).
     */
    @Provide
    Arbitrary<List<Step>> steps() {
        Arbitrary<Long> gaps = Arbitraries.frequencyOf(
                Tuple.of(4, Arbitraries.just(0L)),
                Tuple.of(10, Arbitraries.longs().between(0, 50)),
                Tuple.of(2, Arbitraries.longs().between(0, 2_000)));
        // Odd nanoseconds on top, so the clock rarely lands on a whole token.
        Arbitrary<Long> extraNanos = Arbitraries.longs().between(0, 999_999);
        Arbitrary<Long> sizes = Arbitraries.longs().between(1, 1_100);
        return Combinators.combine(gaps, extraNanos, sizes).as(Step::new).list().ofMinSize(1).ofMaxSize(40);
    }

    /** One request: first the clock moves, then tokens are asked for. */
    record Step(long periodPermille, long extraNanos, long capacityPermille) {}
}
