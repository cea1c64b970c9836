package io.sluice.policy.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.policy.ratelimit.LeaseStore;
import io.sluice.policy.ratelimit.LeaseStoreContract;
import io.sluice.policy.ratelimit.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinWorkerThread;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class HazelcastLeaseStoreTest extends LeaseStoreContract {

    // Lease times run on the test's clock; Hazelcast also drops an untouched entry after this much real time,
    // so it is far longer than any test.
    private static final Duration TTL = Duration.ofMinutes(5);

    @RegisterExtension
    static final StandaloneMember MEMBER = new StandaloneMember(TTL);

    @Override
    protected LeaseStore newStore(ManualClock clock) {
        return new HazelcastLeaseStore(MEMBER.node(), TTL, clock);
    }

    @Test
    void answersContinueWhereTheyCompleteNotOnTheCommonPool() {
        // One hand-over less for every session slot (ClusterAnswers): the partition thread that answered runs the
        // later stages, or this thread when the answer was in first. On Hazelcast's own futures every stage, this
        // test's too, would be a task on the common pool.
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            threads.add(get(store.acquire(key, 100).thenApply(lease -> Thread.currentThread())));
        }

        assertThat(threads).noneMatch(thread -> thread instanceof ForkJoinWorkerThread);
        assertThat(get(store.held(key))).isEqualTo(20);
    }

    @Test
    void slotsOfANodeThatStopsRenewingExpireAfterTheTtl() {
        acquire(key, 2).orElseThrow();
        acquire(key, 2).orElseThrow();
        assertThat(acquire(key, 2)).isEmpty();

        clock.advance(TTL.minusMillis(1));
        assertThat(get(store.held(key))).as("just before the TTL").isEqualTo(2);
        assertThat(acquire(key, 2)).isEmpty();

        clock.advance(Duration.ofMillis(1));
        assertThat(get(store.held(key))).as("at the TTL").isZero();
        assertThat(acquire(key, 2)).isPresent();
        assertThat(get(store.held(key))).isEqualTo(1);
    }

    @Test
    void renewalKeepsSlotsPastTheTtl() {
        acquire(key, 1).orElseThrow();
        clock.advance(TTL.dividedBy(3).multipliedBy(2));

        ((HazelcastLeaseStore) store).renew();
        clock.advance(TTL.dividedBy(2));

        // Past the acquisition's TTL, within the renewal's; the renewal is sent without waiting for it.
        awaitHeld(key, 1);
        assertThat(acquire(key, 1)).isEmpty();

        clock.advance(TTL);
        assertThat(get(store.held(key))).as("no renewal since").isZero();
    }

    @Test
    void renewalRestoresSlotsTheNodeStillHolds() {
        acquire(key, 2).orElseThrow();
        acquire(key, 2).orElseThrow();
        clock.advance(TTL.plusSeconds(1));
        assertThat(acquire(key, 2)).as("the earlier slots expired").isPresent();

        ((HazelcastLeaseStore) store).renew();

        // This node holds three leases it never released: the renewal says so, whatever the map said.
        awaitHeld(key, 3);
    }
}
