package io.sluice.proxy.egress;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The answers of recent MX lookups by domain, each until its TTL runs out; the least recently used go first once
 * the cache is full, so its size stays bounded whatever domains the MTAs send to. Shared by every event loop.
 */
final class MxCache {

    private record Entry(MxAnswer answer, long expiresNanos) {}

    private final int capacity;
    private final LongSupplier nanoTime;
    private final LinkedHashMap<String, Entry> entries;

    MxCache(int capacity, LongSupplier nanoTime) {
        this.capacity = capacity;
        this.nanoTime = nanoTime;
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Entry> eldest) {
                return size() > MxCache.this.capacity;
            }
        };
    }

    /** The answer for the domain while its TTL lasts, or null. */
    synchronized MxAnswer get(String domain) {
        Entry entry = entries.get(domain);
        if (entry == null) {
            return null;
        }
        if (entry.expiresNanos() - nanoTime.getAsLong() <= 0) {
            entries.remove(domain);
            return null;
        }
        return entry.answer();
    }

    synchronized void put(String domain, MxAnswer answer, long ttlSeconds) {
        if (capacity == 0 || ttlSeconds <= 0) {
            return;
        }
        entries.put(domain, new Entry(answer, nanoTime.getAsLong() + ttlSeconds * 1_000_000_000L));
    }

    synchronized int size() {
        return entries.size();
    }
}
