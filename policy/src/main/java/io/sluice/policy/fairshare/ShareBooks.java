package io.sluice.policy.fairshare;

import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The books of this node by bucket key. A rule's shape is part of its bucket key, so a changed rule or an override
 * starts fresh books; books unused for {@link #IDLE_WINDOWS} windows are dropped when a new one is made, so their
 * number stays that of the fair-share rules (and shapes) in use.
 */
public final class ShareBooks {

    /** Books unused for this many windows are dropped. */
    static final long IDLE_WINDOWS = 3;

    private final Map<String, FairShareBook> books = new ConcurrentHashMap<>();
    private final Clock clock;
    private final Function<String, Supplier<List<ShareSummary>>> others;

    /** @param others the other nodes' latest summaries of a bucket key's rule */
    public ShareBooks(Clock clock, Function<String, Supplier<List<ShareSummary>>> others) {
        this.clock = clock;
        this.others = others;
    }

    /** The book of {@code bucketKey}, made on first use. */
    public FairShareBook book(String bucketKey, double tokensPerMilli) {
        FairShareBook book = books.get(bucketKey);
        if (book != null) {
            return book;
        }
        long now = FairShareBook.windowAt(clock.millis());
        books.values().removeIf(idle -> idle.window() < now - IDLE_WINDOWS);
        return books.computeIfAbsent(bucketKey, key -> new FairShareBook(tokensPerMilli, others.apply(key)));
    }

    /** The book of {@code bucketKey} if there is one. */
    public FairShareBook find(String bucketKey) {
        return books.get(bucketKey);
    }

    /** Each book with its bucket key. */
    public void forEach(BiConsumer<String, FairShareBook> action) {
        books.forEach(action);
    }
}
