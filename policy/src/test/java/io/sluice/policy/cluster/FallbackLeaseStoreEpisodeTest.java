package io.sluice.policy.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.config.ClusterConfig.OnUnavailable;
import io.sluice.policy.ratelimit.Lease;
import io.sluice.policy.ratelimit.LeaseStore;
import io.sluice.policy.ratelimit.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two nodes counting one key in a real member: this one behind the fallback, in a fallback episode while the other
 * still reaches the cluster. Whatever the episode grants, the two never hold more than the maximum, unless the episode
 * outlasts the lease time: the cluster then forgets this node's sessions, as it would a dead node's.
 */
class FallbackLeaseStoreEpisodeTest {

    // Lease times run on the test's clock; Hazelcast also drops an untouched entry after this much real time.
    private static final Duration TTL = Duration.ofMinutes(5);
    private static final int MAX = 20;
    // The first request of a member alone reserves its slot and a spare of MIN_SPARE, within half the room.
    private static final long RESERVED = 1 + SlotReserve.MIN_SPARE;

    @RegisterExtension
    static final StandaloneMember MEMBER = new StandaloneMember(TTL);

    private final ManualClock clock = ManualClock.wall();
    // No deadline is swept: the episodes are the test's, never a busy machine's.
    private final ClusterHealth health = new ClusterHealth(Duration.ofSeconds(10), 1);
    private final HazelcastLeaseStore here = new HazelcastLeaseStore(MEMBER.node(), "this-node", TTL, clock);
    private final HazelcastLeaseStore other = new HazelcastLeaseStore(MEMBER.node(), "other-node", TTL, clock);
    private final LeaseStore leases = new FallbackLeaseStore(here, health, OnUnavailable.LOCAL_FALLBACK);
    private final String key = "episode-" + UUID.randomUUID();

    @Test
    void anEpisodeGrantsOnlyTheSlotsTheClusterReservedForThisNode() {
        get(leases.acquire(key, MAX)).orElseThrow();
        startEpisode();

        List<Lease> inEpisode = acquireAll(leases);
        List<Lease> atTheOther = acquireAll(other);

        assertThat(inEpisode).as("the reservation's spare slots").hasSize((int) RESERVED - 1);
        assertThat(atTheOther).as("the rest of the maximum").hasSize(MAX - (int) RESERVED);
        assertThat(here.heldHere(key) + atTheOther.size()).as("sessions of both nodes").isEqualTo(MAX);
    }

    @Test
    void aSlotReleasedDuringAnEpisodeServesTheNextSession() {
        get(leases.acquire(key, MAX)).orElseThrow();
        startEpisode();
        List<Lease> inEpisode = acquireAll(leases);

        inEpisode.get(0).release();

        assertThat(get(leases.held(key))).as("this node's sessions").isEqualTo((int) RESERVED - 1);
        assertThat(get(leases.acquire(key, MAX))).as("the slot given back").isPresent();
        assertThat(get(leases.acquire(key, MAX))).isEmpty();
    }

    @Test
    void aKeyThisNodeReservedNothingForIsRefused() {
        startEpisode();

        assertThat(get(leases.acquire(key, MAX))).isEmpty();
    }

    @Test
    void noSlotOnceTheClusterMayHaveGivenTheReservationToOthers() {
        get(leases.acquire(key, MAX)).orElseThrow();
        startEpisode();

        // Other nodes' clocks may run ahead by up to a third of the lease time.
        clock.advance(TTL.multipliedBy(2).dividedBy(3));
        assertThat(get(leases.acquire(key, MAX))).as("two thirds of a lease time after the last request").isEmpty();

        clock.advance(TTL.dividedBy(3));
        assertThat(acquireAll(other)).as("the cluster let this node's reservation go").hasSize(MAX);
        assertThat(here.heldHere(key)).as("the session still open, no longer counted").isEqualTo(1);
    }

    @Test
    void aNodeBackFromAnEpisodeLongerThanTheLeaseHasItsSessionsCountedAgain() {
        List<Lease> atTheOther = acquireAll(other, 5);
        get(leases.acquire(key, MAX)).orElseThrow();
        startEpisode();
        acquireAll(leases);
        clock.advance(TTL);
        // The other node renews in time; this node's reservation expired, its sessions still open.
        other.renew();
        endEpisode();

        get(leases.acquire(key, MAX)).orElseThrow();
        atTheOther.addAll(acquireAll(other));

        assertThat(here.heldHere(key) + atTheOther.size()).as("sessions of both nodes").isLessThanOrEqualTo(MAX);
    }

    @Test
    void aCallerWithALowerMaximumIsNotGrantedFromAReservationMadeUnderAHigherOne() {
        get(leases.acquire(key, MAX)).orElseThrow();
        startEpisode();

        assertThat(get(leases.acquire(key, 2))).as("other nodes may hold the rest of 2").isEmpty();
    }

    @Test
    void afterTheEpisodeTheClusterCountsWhatItGranted() {
        get(leases.acquire(key, MAX)).orElseThrow();
        startEpisode();
        List<Lease> inEpisode = acquireAll(leases);
        endEpisode();

        here.renew();

        assertThat(acquireAll(other)).as("what the episode left of the maximum").hasSize(MAX - (int) RESERVED);
        assertThat(get(other.held(key))).as("both nodes' sessions, this one's as it restated them")
                .isEqualTo(MAX);
        inEpisode.forEach(Lease::release);
        assertThat(get(leases.acquire(key, MAX))).as("granted again, by the cluster").isPresent();
    }

    /** Fewer members than min-members: an episode, with no request late. */
    private void startEpisode() {
        health.membersChanged(0);
        assertThat(health.degraded()).isTrue();
    }

    private void endEpisode() {
        health.membersChanged(1);
        health.probe(() -> CompletableFuture.completedFuture(0));
        assertThat(health.degraded()).isFalse();
    }

    /** Leases of the key taken until the store refuses, at most the maximum and one. */
    private List<Lease> acquireAll(LeaseStore store) {
        return acquireAll(store, MAX + 1);
    }

    /** Leases of the key taken until the store refuses, at most {@code most}. */
    private List<Lease> acquireAll(LeaseStore store, int most) {
        List<Lease> granted = new ArrayList<>();
        for (int i = 0; i < most; i++) {
            Optional<Lease> lease = get(store.acquire(key, MAX));
            if (lease.isEmpty()) {
                return granted;
            }
            granted.add(lease.get());
        }
        return granted;
    }

    private static <T> T get(CompletableFuture<T> answer) {
        try {
            return answer.get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("no answer: " + e, e);
        }
    }
}
