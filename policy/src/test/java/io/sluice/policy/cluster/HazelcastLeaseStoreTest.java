package io.sluice.policy.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.policy.ratelimit.Lease;
import io.sluice.policy.ratelimit.LeaseStore;
import io.sluice.policy.ratelimit.LeaseStoreContract;
import io.sluice.policy.ratelimit.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
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
        HazelcastLeaseStore other = new HazelcastLeaseStore(MEMBER.node(), "other-node", TTL, clock);
        acquire(key, 2).orElseThrow();
        acquire(key, 2).orElseThrow();
        assertThat(get(other.acquire(key, 2))).isEmpty();

        clock.advance(TTL.minusMillis(1));
        assertThat(get(other.held(key))).as("just before the TTL").isEqualTo(2);
        assertThat(get(other.acquire(key, 2))).isEmpty();

        clock.advance(Duration.ofMillis(1));
        assertThat(get(other.held(key))).as("at the TTL").isZero();
        assertThat(get(store.held(key))).as("the cluster no longer counts this node's").isZero();
        assertThat(get(other.acquire(key, 2))).isPresent();
        assertThat(get(other.held(key))).isEqualTo(1);
    }

    @Test
    void sessionsTakeSpareSlotsWithoutAskingTheClusterAndOtherNodesNeverGetMoreThanTheRest() {
        HazelcastLeaseStore other = new HazelcastLeaseStore(MEMBER.node(), "other-node", TTL, clock);
        // One member: the first request reserves its slot and a spare of at most MIN_SPARE, within half the room.
        Lease first = acquire(key, 100).orElseThrow();
        long reserved = reservedBy(MEMBER.node().nodeId());
        assertThat(reserved).isEqualTo(1 + SlotReserve.MIN_SPARE);

        List<Lease> fromSpare = new ArrayList<>();
        for (int i = 0; i < SlotReserve.MIN_SPARE; i++) {
            CompletableFuture<Optional<Lease>> answer = store.acquire(key, 100);
            assertThat(answer).as("granted from the reserve, at once").isCompleted();
            fromSpare.add(get(answer).orElseThrow());
        }
        assertThat(reservedBy(MEMBER.node().nodeId())).as("no request for those").isEqualTo(reserved);
        assertThat(get(store.held(key))).isEqualTo(1 + SlotReserve.MIN_SPARE);

        // Another node gets the rest, and not one slot more.
        int others = 0;
        while (get(other.acquire(key, 100)).isPresent()) {
            others++;
            assertThat(others).isLessThanOrEqualTo(100);
        }
        assertThat(others).isEqualTo(100 - reserved);
        assertThat(acquire(key, 100)).as("a refusal at the limit, as before").isEmpty();
        first.release();
        fromSpare.forEach(Lease::release);
    }

    @Test
    void refusalAtTheLimitIsAsBeforeAndReleasesGoBackOneByOne() {
        HazelcastLeaseStore other = new HazelcastLeaseStore(MEMBER.node(), "other-node", TTL, clock);
        Lease first = acquire(key, 2).orElseThrow();
        assertThat(reservedBy(MEMBER.node().nodeId())).as("half the room is no spare slot").isEqualTo(1);
        Lease second = get(other.acquire(key, 2)).orElseThrow();

        assertThat(acquire(key, 2)).isEmpty();
        assertThat(get(other.acquire(key, 2))).isEmpty();

        first.release();
        // At the limit a node keeps no spare: the slot goes back to the cluster at once, for any node to take.
        await().atMost(Duration.ofSeconds(10)).until(() -> reservedBy(MEMBER.node().nodeId()) == 0);
        assertThat(get(store.held(key))).isEqualTo(1);
        assertThat(get(other.acquire(key, 2))).isPresent();
        assertThat(acquire(key, 2)).isEmpty();
        second.release();
    }

    @Test
    void idleSpareGoesBackAtTheRenewalsAndTheKeyIsForgotten() {
        Lease lease = acquire(key, 1_000).orElseThrow();
        lease.release();
        assertThat(reservedBy(MEMBER.node().nodeId())).as("the spare stays for the next session")
                .isEqualTo(1 + SlotReserve.MIN_SPARE);

        HazelcastLeaseStore leases = (HazelcastLeaseStore) store;
        leases.renew();
        await().atMost(Duration.ofSeconds(10)).until(() -> MEMBER.node().hazelcast().getMap(HazelcastLeaseStore.MAP)
                .get(key) == null);
        assertThat(get(store.held(key))).isZero();

        // A spare taken since the last renewal is kept through one more.
        acquire(key, 1_000).orElseThrow().release();
        acquire(key, 1_000).orElseThrow().release();
        leases.renew();
        await().atMost(Duration.ofSeconds(10)).until(() -> reservedBy(MEMBER.node().nodeId()) == SlotReserve.MIN_SPARE);
        leases.renew();
        await().atMost(Duration.ofSeconds(10)).until(() -> MEMBER.node().hazelcast().getMap(HazelcastLeaseStore.MAP)
                .get(key) == null);
    }

    private long reservedBy(String node) {
        LeaseHolders holders = (LeaseHolders) MEMBER.node().hazelcast().getMap(HazelcastLeaseStore.MAP).get(key);
        return holders == null ? 0 : holders.reservedBy(node);
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
    void slotsThatExpiredWhileTheirSessionsLastAreCountedAgainByTheNextRequest() {
        acquire(key, 2).orElseThrow();
        acquire(key, 2).orElseThrow();
        clock.advance(TTL.plusSeconds(1));
        assertThat(get(store.held(key))).as("the cluster forgot them").isZero();

        // This node still holds two leases it never released: its next request says so, whatever the map said.
        assertThat(acquire(key, 2)).as("both slots still in use").isEmpty();
        awaitHeld(key, 2);
        ((HazelcastLeaseStore) store).renew();
        awaitHeld(key, 2);
    }
}
