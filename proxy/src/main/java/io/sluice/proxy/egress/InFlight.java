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

    /**
     * The answer {@code cached} holds for {@code key}; else the answer to its lookup under way; else {@code lookup}'s,
     * started now and shared until done. A lookup must put its answer where {@code cached} finds it before its future
     * completes: the cache is looked at again once this call holds the key, so that a lookup ending between the first
     * look and the hold is not asked again.
     */
    public CompletableFuture<V> join(K key, Supplier<V> cached, Supplier<CompletableFuture<V>> lookup) {
        V known = cached.get();
        if (known != null) {
            return CompletableFuture.completedFuture(known);
        }
        CompletableFuture<V> mine = new CompletableFuture<>();
        CompletableFuture<V> running = pending.putIfAbsent(key, mine);
        if (running != null) {
            return running;
        }
        CompletableFuture<V> asked;
        try {
            known = cached.get();
            asked = known != null ? CompletableFuture.completedFuture(known) : lookup.get();
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
