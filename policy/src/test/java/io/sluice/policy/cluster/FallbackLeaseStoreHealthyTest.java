package io.sluice.policy.cluster;

import io.sluice.config.ClusterConfig.OnUnavailable;
import io.sluice.policy.ratelimit.LeaseStore;
import io.sluice.policy.ratelimit.LeaseStoreContract;
import io.sluice.policy.ratelimit.ManualClock;
import java.time.Duration;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The fallback lease store while the cluster answers: a Hazelcast member's counts. No deadline is swept, so a busy
 * machine never turns this run into a fallback.
 */
class FallbackLeaseStoreHealthyTest extends LeaseStoreContract {

    private static final Duration TTL = Duration.ofMinutes(5);

    @RegisterExtension
    static final StandaloneMember MEMBER = new StandaloneMember(TTL);

    @RegisterExtension
    final UnsweptHealth unswept = new UnsweptHealth();

    @Override
    protected LeaseStore newStore(ManualClock clock) {
        return new FallbackLeaseStore(new HazelcastLeaseStore(MEMBER.node(), TTL, clock),
                unswept.health(), OnUnavailable.LOCAL_FALLBACK);
    }
}
