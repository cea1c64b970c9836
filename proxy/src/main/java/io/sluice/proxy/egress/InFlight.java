package io.sluice.proxy.egress;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Lookups under way by what they ask: a second request for the same key while the first is unanswered shares its
 * answer instead of asking again, so a burst of deliveries to one new domain asks DNS once. Holds a key only until
 * its answer comes. Shared by every event loop.
 *
 * @param <K> what is asked
 * @param <V> the answer
 */
public final class InFlight<K, V> {

    private final Map<K, CompletableFuture<V>> pending = new ConcurrentHashMap<>();

    /** The answer to the lookup of {@code key} under way, or {@code lookup}'s, started now and shared until done. */
    public CompletableFuture<V> join(K key, Supplier<CompletableFuture<V>> lookup) {
        CompletableFuture<V> mine = new CompletableFuture<>();
        CompletableFuture<V> running = pending.putIfAbsent(key, mine);
        if (running != null) {
            return running;
        }
        CompletableFuture<V> asked;
        try {
            asked = lookup.get();
        } catch (RuntimeException e) {
            asked = CompletableFuture.failedFuture(e);
        }
        asked.whenComplete((answer, error) -> {
            // Gone before the answer is given: whoever comes after it asks anew (or finds the cache).
            pending.remove(key, mine);
            if (error != null) {
                mine.completeExceptionally(error);
            } else {
                mine.complete(answer);
            }
        });
        return mine;
    }
}
