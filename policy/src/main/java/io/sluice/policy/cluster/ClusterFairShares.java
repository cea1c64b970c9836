package io.sluice.policy.cluster;

import static net.logstash.logback.argument.StructuredArguments.kv;

import com.hazelcast.map.IMap;
import io.sluice.policy.fairshare.FairShareBook;
import io.sluice.policy.fairshare.FairShares;
import io.sluice.policy.fairshare.ShareBooks;
import io.sluice.policy.fairshare.ShareSummary;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fair shares from the demand of every node, without a round trip per decision: each node counts its own demand per
 * key in its books, and once a window, just after it ends, puts its summary of that window for every fair-share rule
 * in one map entry of its own ({@link #MAP}, signed with the cluster secret, living {@link #TTL_MILLIS}). Every node
 * follows the others' entries by the map's events and computes the shares of its keys locally from the cluster's
 * summaries ({@link FairShareBook#allowances}). A node whose entry stops coming drops out of the shares when it
 * expires; an entry not signed with the cluster secret is ignored and counted.
 */
public final class ClusterFairShares implements FairShares {

    static final String MAP = "sluice-fair-shares";
    /** A node's entry outlives the window it describes by two more, in case its next one is late. */
    static final long TTL_MILLIS = 3 * FairShareBook.WINDOW_MILLIS;
    /** The most rules one entry may describe, and so the most this node keeps of another. */
    static final int MAX_RULES = 64;
    /** Published this long after a window ends, so that every decision of the window is in. */
    private static final long PUBLISH_DELAY_MILLIS = 50;
    // Checked before the signature, so that a forger's huge entry costs no hashing: Base64 of the largest summaries.
    private static final int MAX_ENTRY_CHARS = MAX_RULES * (2 * ShareSummary.MAX_BYTES + 512) / 3 * 4 + 128;
    private static final Logger log = LoggerFactory.getLogger(ClusterFairShares.class);

    private final IMap<String, String> map;
    private final ClusterSeal seal;
    private final String nodeId;
    private final Clock clock;
    private final ShareBooks books;
    // Per other node, its latest summaries by bucket key.
    private final Map<String, Map<String, ShareSummary>> others = new ConcurrentHashMap<>();
    private final UUID listener;
    private final ScheduledFuture<?> turns;
    // Set by close(), under this object's lock, as publish() reads it.
    private boolean closed;

    /** Follows the other nodes' entries and publishes this node's on {@code executor}, once a window. */
    public ClusterFairShares(ClusterNode node, Clock clock, ScheduledExecutorService executor) {
        this.map = node.hazelcast().getMap(MAP);
        this.seal = node.seal();
        this.nodeId = node.nodeId();
        this.clock = clock;
        this.books = new ShareBooks(clock, bucketKey -> () -> summariesOf(bucketKey));
        this.listener = map.addEntryListener(new EntryChanges<String>(this::remember, others::remove, others::clear),
                true);
        map.forEach(this::remember);
        long delay = FairShareBook.millisLeft(clock.millis()) + PUBLISH_DELAY_MILLIS;
        this.turns = executor.scheduleAtFixedRate(this::publishSafely, delay, FairShareBook.WINDOW_MILLIS,
                TimeUnit.MILLISECONDS);
    }

    @Override
    public FairShareBook book(String bucketKey, double tokensPerMilli) {
        return books.book(bucketKey, tokensPerMilli);
    }

    @Override
    public Optional<FairShareBook> find(String bucketKey) {
        return Optional.ofNullable(books.find(bucketKey));
    }

    /** The other nodes whose summaries this node holds. */
    int otherNodes() {
        return others.size();
    }

    private List<ShareSummary> summariesOf(String bucketKey) {
        List<ShareSummary> summaries = new ArrayList<>();
        for (Map<String, ShareSummary> node : others.values()) {
            ShareSummary summary = node.get(bucketKey);
            if (summary != null) {
                summaries.add(summary);
            }
        }
        return summaries;
    }

    private void publishSafely() {
        try {
            publish();
        } catch (RuntimeException | IOException e) {
            // The cluster may be away for a while; shares go on from what this node holds.
            log.debug("publishing this node's fair-share demand failed; trying again next window",
                    kv("error", e.toString()));
        }
    }

    /** Puts this node's summaries of the window that just ended, if it saw any demand in it. */
    void publish() throws IOException {
        long now = clock.millis();
        long ended = FairShareBook.windowAt(now) - 1;
        Map<String, ShareSummary> summaries = new HashMap<>();
        books.forEach((bucketKey, book) -> {
            ShareSummary summary = book.lastClosed(now);
            if (summary != null && summary.window() == ended && summaries.size() < MAX_RULES) {
                summaries.put(bucketKey, summary);
            }
        });
        if (summaries.isEmpty()) {
            return;
        }
        String payload = Base64.getEncoder().encodeToString(encode(summaries));
        // Under the lock close() takes: a put is either sent before close() deletes the entry, or not at all.
        synchronized (this) {
            if (!closed) {
                map.putAsync(nodeId, seal.sealed(ClusterSeal.Kind.FAIR_SHARE, nodeId, payload), TTL_MILLIS,
                        TimeUnit.MILLISECONDS);
            }
        }
    }

    static byte[] encode(Map<String, ShareSummary> summaries) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(summaries.size());
            for (Map.Entry<String, ShareSummary> entry : summaries.entrySet()) {
                out.writeUTF(entry.getKey());
                entry.getValue().write(out);
            }
        }
        return bytes.toByteArray();
    }

    static Map<String, ShareSummary> decode(byte[] bytes) throws IOException {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            int count = in.readInt();
            if (count < 0 || count > MAX_RULES) {
                throw new IOException("summaries of " + count + " rules (expected: 0-" + MAX_RULES + ")");
            }
            Map<String, ShareSummary> summaries = new HashMap<>();
            for (int i = 0; i < count; i++) {
                summaries.put(in.readUTF(), ShareSummary.read(in));
            }
            return summaries;
        }
    }

    /** An entry is the summaries in Base64, sealed. */
    private void remember(String id, String sealed) {
        if (nodeId.equals(id)) {
            return;
        }
        Optional<String> payload = seal.opened(sealed, ClusterSeal.Kind.FAIR_SHARE, id, MAX_ENTRY_CHARS);
        if (payload.isEmpty()) {
            return;
        }
        Map<String, ShareSummary> summaries;
        try {
            summaries = decode(Base64.getDecoder().decode(payload.get()));
        } catch (IOException | IllegalArgumentException e) {
            log.warn("unreadable fair-share summary of another node; ignored", kv("node", id),
                    kv("error", e.getMessage()));
            return;
        }
        others.put(id, summaries);
        summaries.keySet().forEach(bucketKey -> {
            FairShareBook book = books.find(bucketKey);
            if (book != null) {
                book.othersChanged();
            }
        });
    }

    /** Stops publishing and following, and takes this node's entry off the map. */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            turns.cancel(false);
        }
        try {
            map.removeEntryListener(listener);
            map.delete(nodeId);
        } catch (RuntimeException e) {
            log.debug("removing this node's fair-share entry failed: {}", e.toString());
        }
    }
}
