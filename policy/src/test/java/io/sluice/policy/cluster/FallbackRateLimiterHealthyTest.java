package io.sluice.policy.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.config.ClusterConfig.OnUnavailable;
import io.sluice.policy.ratelimit.LocalRateLimiter;
import io.sluice.policy.ratelimit.ManualClock;
import io.sluice.policy.ratelimit.RateLimiter;
import io.sluice.policy.ratelimit.RateLimiterContract;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

/**
 * The fallback limiter while the cluster answers: a Hazelcast member's buckets, with the local share mirroring
 * what they grant. No deadline is swept, so a busy machine never turns this run into a fallback.
 */
class FallbackRateLimiterHealthyTest extends RateLimiterContract {

    private static ClusterNode node;
    private ClusterHealth health;

    @BeforeAll
    static void startMember() {
        node = ClusterNode.start(TestClusters.standalone(
                TestClusters.clusterName(FallbackRateLimiterHealthyTest.class), Duration.ofSeconds(30)));
    }

    @AfterAll
    static void stopMember() {
        node.close();
    }

    @AfterEach
    void stayedHealthy() {
        assertThat(health.episodes()).as("fallback episodes").isZero();
    }

    @Override
    protected RateLimiter newLimiter(ManualClock clock) {
        health = new ClusterHealth(Duration.ofSeconds(10), 1);
        return new FallbackRateLimiter(new HazelcastRateLimiter(node, Optional.of(clock)), new LocalRateLimiter(clock),
                health, OnUnavailable.LOCAL_FALLBACK);
    }

    @Override
    protected ManualClock newClock() {
        return ManualClock.wall();
    }

    // The member's bound and the local mirror's, each; the mirror holds a bucket for every key the cluster granted.
    @Override
    protected Bounded newBoundedLimiter(ManualClock clock, int maxBuckets) {
        ClusterNode member = TestClusters.boundedMember(FallbackRateLimiterHealthyTest.class, maxBuckets);
        LocalRateLimiter local = new LocalRateLimiter(clock, maxBuckets);
        RateLimiter limiter = new FallbackRateLimiter(new HazelcastRateLimiter(member, Optional.of(clock)), local,
                new ClusterHealth(Duration.ofSeconds(10), 1), OnUnavailable.LOCAL_FALLBACK);
        return new Bounded(limiter, () -> Math.max(HazelcastRateLimiterTest.held(member), local.size()), member::close);
    }
}
