package io.sluice.policy.cluster;

import io.sluice.policy.ratelimit.Lease;
import io.sluice.policy.ratelimit.LeaseStore;
import io.sluice.policy.ratelimit.LocalLeaseStore;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/** A cluster lease store that counts, or fails every request while the test says it is down. */
final class FakeClusterLeases implements LeaseStore {

    private final LeaseStore counts = new LocalLeaseStore();
    private volatile boolean down;

    void fail() {
        down = true;
    }

    void answer() {
        down = false;
    }

    @Override
    public CompletableFuture<Optional<Lease>> acquire(String key, int max) {
        return unlessDown(() -> counts.acquire(key, max));
    }

    @Override
    public CompletableFuture<Integer> held(String key) {
        return unlessDown(() -> counts.held(key));
    }

    private <T> CompletableFuture<T> unlessDown(Supplier<CompletableFuture<T>> answer) {
        return down ? CompletableFuture.failedFuture(new IllegalStateException("cluster down")) : answer.get();
    }
}
