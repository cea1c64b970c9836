package io.sluice.policy.retry;

import io.sluice.config.RetryPriority;
import org.apache.datasketches.filters.bloomfilter.BloomFilter;
import org.apache.datasketches.filters.bloomfilter.BloomFilterBuilder;

/**
 * The marks of one node: one Bloom filter per time generation, at most {@code generations} of them, the oldest
 * reused for the newest. A generation is a fixed slice of the epoch ({@code epochMillis / period}), the same on
 * every node, so that nodes exchange a generation by its number. A lookup walks the live generations oldest first:
 * the first that holds the mark says roughly when the sender was first deferred. Memory never exceeds one filter per
 * generation; a generation whose filter is as full as its capacity allows takes no more marks, so that a flood of
 * senders cannot raise the false-positive rate past the one configured. Safe for any thread.
 */
public final class MarkGenerations {

    /** The seed of every filter: nodes union their filters, which only works between filters of one seed. */
    public static final long SEED = 0x5109_1ce0_0018_0002L;

    private final long periodMillis;
    private final int count;
    private final long capacity;
    private final long numBits;
    private final short numHashes;
    // Bits set in a filter holding its capacity: past this, the filter answers "yes" too often.
    private final long fullBits;
    // Per slot (generation modulo count): the generation it holds (NONE for none), its filter, marks added here.
    private final long[] generationOf;
    private final BloomFilter[] filters;
    private final long[] added;
    private final boolean[] full;
    private long dropped;

    private static final long NONE = Long.MIN_VALUE;

    public MarkGenerations(RetryPriority config) {
        this(config.generation().toMillis(), config.generations(), config.capacity(), config.falsePositiveRate());
    }

    /**
     * @param falsePositiveRate over the whole window: each generation gets its part, so that a lookup across all of
     *     them at capacity is wrong at most this often
     */
    public MarkGenerations(long periodMillis, int count, long capacity, double falsePositiveRate) {
        if (periodMillis < 1 || count < 1 || capacity < 1) {
            throw new IllegalArgumentException("periodMillis: " + periodMillis + ", count: " + count + ", capacity: "
                    + capacity + " (expected: >= 1)");
        }
        this.periodMillis = periodMillis;
        this.count = count;
        this.capacity = capacity;
        double perGeneration = perGenerationRate(falsePositiveRate, count);
        this.numBits = BloomFilterBuilder.suggestNumFilterBits(capacity, perGeneration);
        this.numHashes = BloomFilterBuilder.suggestNumHashes(capacity, numBits);
        this.fullBits = (long) (numBits * (1 - Math.exp(-(double) numHashes * capacity / numBits)));
        this.generationOf = new long[count];
        java.util.Arrays.fill(generationOf, NONE);
        this.filters = new BloomFilter[count];
        this.added = new long[count];
        this.full = new boolean[count];
    }

    /** The rate of one generation such that a lookup across {@code count} of them is wrong at most {@code rate}. */
    static double perGenerationRate(double rate, int count) {
        return 1 - Math.pow(1 - rate, 1.0 / count);
    }

    /** The generation {@code epochMillis} falls in. */
    static long generation(long epochMillis, long periodMillis) {
        return Math.floorDiv(epochMillis, periodMillis);
    }

    /** When generation {@code generation} starts, in epoch milliseconds. */
    static long start(long generation, long periodMillis) {
        return generation * periodMillis;
    }

    /** Whether generation {@code generation} is still remembered during {@code current}. */
    static boolean live(long generation, long current, int count) {
        return generation <= current && generation > current - count;
    }

    /** The generation {@code epochMillis} falls in. */
    public long generationAt(long epochMillis) {
        return generation(epochMillis, periodMillis);
    }

    /** The generations remembered at {@code epochMillis}, oldest first. */
    public long[] liveAt(long epochMillis) {
        long current = generationAt(epochMillis);
        long[] live = new long[count];
        for (int i = 0; i < count; i++) {
            live[i] = current - count + 1 + i;
        }
        return live;
    }

    /** How long a generation is. */
    public long periodMillis() {
        return periodMillis;
    }

    /** Until when generation {@code generation} is remembered, in epoch milliseconds. */
    public long expiresAt(long generation) {
        return start(generation + count, periodMillis);
    }

    /** A filter of the shape every generation has, empty. */
    public BloomFilter emptyFilter() {
        return BloomFilterBuilder.createBySize(numBits, numHashes, SEED);
    }

    /** The bytes one generation's filter takes. */
    public long filterBytes() {
        return BloomFilter.getSerializedSize(numBits);
    }

    /** The most bytes the filters may take: one filter per generation. */
    public long maxBytes() {
        return filterBytes() * count;
    }

    /** Leaves a mark in the generation of {@code epochMillis}; false if that generation is full and drops it. */
    public synchronized boolean add(long key, long epochMillis) {
        long generation = generationAt(epochMillis);
        int slot = slotFor(generation);
        if (full[slot]) {
            dropped++;
            return false;
        }
        filters[slot].update(key);
        if (++added[slot] >= capacity) {
            full[slot] = true;
        }
        return true;
    }

    /**
     * ORs another filter of the same shape into generation {@code generation}, if it is live at {@code epochMillis}:
     * what the cluster holds for it. False if it is not live or the filter has another shape.
     */
    public synchronized boolean union(long generation, BloomFilter other, long epochMillis) {
        if (!live(generation, generationAt(epochMillis), count)) {
            return false;
        }
        int slot = slotFor(generation);
        if (!filters[slot].isCompatible(other)) {
            return false;
        }
        filters[slot].union(other);
        if (filters[slot].getBitsUsed() >= fullBits) {
            full[slot] = true;
        }
        return true;
    }

    /**
     * When the sender of {@code key} was first deferred, as the start of the oldest live generation holding its mark
     * (the true time is within one generation after it), or -1 if no live generation holds it.
     */
    public synchronized long firstDeferred(long key, long epochMillis) {
        long current = generationAt(epochMillis);
        for (long generation = current - count + 1; generation <= current; generation++) {
            int slot = Math.floorMod(generation, count);
            if (generationOf[slot] == generation && filters[slot].query(key)) {
                return start(generation, periodMillis);
            }
        }
        return -1;
    }

    /** Bytes the filters of this node take now. */
    public synchronized long memoryBytes() {
        long bytes = 0;
        for (BloomFilter filter : filters) {
            if (filter != null) {
                bytes += filter.getSerializedSizeBytes();
            }
        }
        return bytes;
    }

    /** Marks dropped because their generation was full. */
    public synchronized long dropped() {
        return dropped;
    }

    /** The slot of {@code generation}, emptied first if it held an older one; the filter made on first use. */
    private int slotFor(long generation) {
        int slot = Math.floorMod(generation, count);
        if (generationOf[slot] != generation) {
            if (filters[slot] == null) {
                filters[slot] = emptyFilter();
            } else {
                filters[slot].reset();
            }
            generationOf[slot] = generation;
            added[slot] = 0;
            full[slot] = false;
        }
        return slot;
    }
}
