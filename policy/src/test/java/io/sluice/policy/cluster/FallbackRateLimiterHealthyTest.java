package io.sluice.policy.cluster;

import io.sluice.config.ClusterConfig.OnUnavailable;
import io.sluice.policy.ratelimit.LocalRateLimiter;
import io.sluice.policy.ratelimit.ManualClock;
import io.sluice.policy.ratelimit.RateLimiter;
import io.sluice.policy.ratelimit.RateLimiterContract;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The fallback limiter while the cluster answers: a Hazelcast member's buckets, with the local share mirroring
 * what they grant. No deadline is swept, so a busy machine never turns this run into a fallback.
 */
class FallbackRateLimiterHealthyTest extends RateLimiterContract {

    @RegisterExtension
    static final StandaloneMember MEMBER = new StandaloneMember(Duration.ofSeconds(30));

    @RegisterExtension
    final UnsweptHealth unswept = new UnsweptHealth();

    @Override
    protected RateLimiter newLimiter(ManualClock clock) {
        return new FallbackRateLimiter(new HazelcastRateLimiter(MEMBER.node(), Optional.of(clock)),
                new LocalRateLimiter(clock), unswept.health(), OnUnavailable.LOCAL_FALLBACK);
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
                unswept.health(), OnUnavailable.LOCAL_FALLBACK);
        return new Bounded(limiter, () -> Math.max(HazelcastRateLimiterTest.held(member), local.size()), member::close);
    }
}
