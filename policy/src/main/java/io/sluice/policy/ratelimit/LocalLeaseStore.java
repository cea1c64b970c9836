package io.sluice.policy.ratelimit;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

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
        return CompletableFuture.completedFuture(granted[0] ? Optional.of(new LocalLease(key)) : Optional.empty());
    }

    @Override
    public CompletableFuture<Integer> held(String key) {
        return CompletableFuture.completedFuture(counts.getOrDefault(key, 0));
    }

    private final class LocalLease implements Lease {
        private final String key;
        private final AtomicBoolean released = new AtomicBoolean();

        LocalLease(String key) {
            this.key = key;
        }

        @Override
        public void release() {
            if (released.compareAndSet(false, true)) {
                counts.computeIfPresent(key, (k, count) -> count <= 1 ? null : count - 1);
            }
        }
    }
}
