package io.sluice.policy.ratelimit;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/** Session counts kept in this process only; a count that drops to zero is forgotten. */
public final class LocalLeaseStore implements LeaseStore {

    private final Map<String, Integer> counts = new ConcurrentHashMap<>();

    @Override
    public CompletableFuture<Optional<Lease>> acquire(String key, int max) {
        boolean[] granted = {false};
        counts.compute(key, (k, count) -> {
            int current = count == null ? 0 : count;
            granted[0] = current < max;
            return granted[0] ? current + 1 : count;
        });
        return CompletableFuture.completedFuture(granted[0] ? Optional.of(slotOf(key)) : Optional.empty());
    }

    @Override
    public CompletableFuture<Integer> held(String key) {
        return CompletableFuture.completedFuture(counts.getOrDefault(key, 0));
    }

    private Lease slotOf(String key) {
        return Lease.releasedBy(() -> counts.computeIfPresent(key, (k, count) -> count <= 1 ? null : count - 1));
    }
}
