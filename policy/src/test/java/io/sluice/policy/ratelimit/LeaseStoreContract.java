package io.sluice.policy.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link LeaseStore} does, run against each implementation. A release may reach the store after the
 * call returns (the cluster's is sent and not awaited), so counts after a release are awaited.
 */
public abstract class LeaseStoreContract {

    private static final Duration SETTLE = Duration.ofSeconds(10);

    protected ManualClock clock;
    protected LeaseStore store;
    protected String key;

    /** A store of the implementation under test; a clock it may read for lease times. */
    protected abstract LeaseStore newStore(ManualClock clock);

    @BeforeEach
    void newStore() {
        clock = ManualClock.wall();
        store = newStore(clock);
        // A store may outlive one test (a shared cluster): every test has its own keys.
        key = "contract-" + UUID.randomUUID();
    }

    @Test
    void grantsUpToTheMaximum() {
        assertThat(acquire(key, 3)).isPresent();
        assertThat(acquire(key, 3)).isPresent();
        assertThat(acquire(key, 3)).isPresent();

        assertThat(acquire(key, 3)).isEmpty();
        assertThat(get(store.held(key))).isEqualTo(3);
    }

    @Test
    void refusalHoldsNothing() {
        acquire(key, 1);

        assertThat(acquire(key, 1)).isEmpty();
        assertThat(acquire(key, 1)).isEmpty();

        assertThat(get(store.held(key))).isEqualTo(1);
    }

    @Test
    void releaseFreesASlot() {
        Lease first = acquire(key, 2).orElseThrow();
        acquire(key, 2).orElseThrow();

        first.release();

        awaitHeld(key, 1);
        assertThat(acquire(key, 2)).isPresent();
        assertThat(acquire(key, 2)).isEmpty();
    }

    @Test
    void secondReleaseOfALeaseFreesNothingMore() {
        Lease first = acquire(key, 2).orElseThrow();
        acquire(key, 2).orElseThrow();

        first.release();
        first.release();

        awaitHeld(key, 1);
        assertThat(acquire(key, 2)).as("the one slot the release freed").isPresent();
        assertThat(acquire(key, 2)).as("the other lease still holds its slot").isEmpty();
        assertThat(get(store.held(key))).isEqualTo(2);
    }

    @Test
    void lastReleaseLeavesNothingHeld() {
        Lease lease = acquire(key, 1).orElseThrow();

        lease.release();

        awaitHeld(key, 0);
        assertThat(acquire(key, 1)).isPresent();
    }

    @Test
    void keysHaveTheirOwnSlots() {
        String other = key + "-other";
        acquire(key, 1).orElseThrow();

        assertThat(acquire(other, 1)).isPresent();
        assertThat(acquire(key, 1)).isEmpty();
        assertThat(get(store.held(other))).isEqualTo(1);
    }

    @Test
    void unknownKeyHoldsNothing() {
        assertThat(get(store.held(key))).isZero();
    }

    @Test
    void maximumIsTheCallersOfTheMoment() {
        acquire(key, 1).orElseThrow();

        assertThat(acquire(key, 1)).isEmpty();
        assertThat(acquire(key, 2)).as("a policy with a higher maximum").isPresent();
    }

    protected Optional<Lease> acquire(String leaseKey, int max) {
        return get(store.acquire(leaseKey, max));
    }

    protected void awaitHeld(String leaseKey, int count) {
        await().atMost(SETTLE).untilAsserted(() -> assertThat(get(store.held(leaseKey))).isEqualTo(count));
    }

    protected static <T> T get(CompletableFuture<T> answer) {
        try {
            return answer.get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("no answer: " + e, e);
        }
    }
}
