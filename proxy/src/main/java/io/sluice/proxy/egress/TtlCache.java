package io.sluice.proxy.egress;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * DNS answers by what was asked, each until its TTL runs out; the least recently used go first once the cache is
 * full, so its size stays bounded whatever domains the MTAs send to. Shared by every event loop.
 *
 * @param <K> what was asked (a domain; a name and a type)
 * @param <V> the answer
 */
public final class TtlCache<K, V> {

    private record Entry<V>(V answer, long expiresNanos) {}

    private final int capacity;
    private final LongSupplier nanoTime;
    private final LinkedHashMap<K, Entry<V>> entries;

    public TtlCache(int capacity, LongSupplier nanoTime) {
        this.capacity = capacity;
        this.nanoTime = nanoTime;
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<K, Entry<V>> eldest) {
                return size() > TtlCache.this.capacity;
            }
        };
    }

    /** The answer while its TTL lasts, or null. */
    public synchronized V get(K key) {
        Entry<V> entry = entries.get(key);
        if (entry == null) {
            return null;
        }
        if (entry.expiresNanos() - nanoTime.getAsLong() <= 0) {
            entries.remove(key);
            return null;
        }
        return entry.answer();
    }

    public synchronized void put(K key, V answer, long ttlSeconds) {
        if (capacity == 0 || ttlSeconds <= 0) {
            return;
        }
        entries.put(key, new Entry<>(answer, nanoTime.getAsLong() + ttlSeconds * 1_000_000_000L));
    }

    public synchronized int size() {
        return entries.size();
    }
}
