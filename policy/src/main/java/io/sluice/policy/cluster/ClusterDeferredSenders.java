package io.sluice.policy.cluster;

import static net.logstash.logback.argument.StructuredArguments.kv;

import com.hazelcast.map.IMap;
import io.sluice.config.RetryPriority;
import io.sluice.policy.retry.DeferredSenders;
import io.sluice.policy.retry.MarkGenerations;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.datasketches.filters.bloomfilter.BloomFilter;
import org.apache.datasketches.memory.Memory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The marks of deferred senders across the cluster, without a round trip per decision: a node marks in its own
 * filters, where its lookups find the mark at once, and once a turn (a second) sends the keys it added to the
 * cluster's copy of their generation ({@link MarkUnion}, one map entry per generation) and ORs back the copies that
 * changed ({@link MarkRead}). Another node's mark is seen here within about a turn of the other node's. A turn
 * that fails (the cluster does not answer) drops what it was to send: the marks stay on this node, and the next
 * turn goes on with the new ones.
 */
public final class ClusterDeferredSenders implements DeferredSenders {

    static final String MAP = "sluice-deferred-senders";
    /** How often a node exchanges its marks with the cluster. */
    public static final long TURN_MILLIS = 1_000;
    // At most this many keys wait for a turn (8 bytes each): a flood beyond it is kept on this node only.
    static final int MAX_PENDING = 1 << 18;
    private static final long TURN_TIMEOUT_MILLIS = 5_000;
    private static final Logger log = LoggerFactory.getLogger(ClusterDeferredSenders.class);

    private final IMap<Long, MarkGeneration> map;
    private final MarkGenerations generations;
    private final BloomFilter shape;
    private final Clock clock;
    // Keys marked here since the last turn, by generation.
    private final Object pendingLock = new Object();
    private Map<Long, long[]> pending = new HashMap<>();
    private final Map<Long, Integer> pendingSizes = new HashMap<>();
    private int pendingCount;
    // The version of each generation's copy this node has ORed in.
    private final Map<Long, Long> versions = new ConcurrentHashMap<>();
    private final ScheduledFuture<?> turns;

    /** Starts the node's turns on {@code executor}, every {@link #TURN_MILLIS}. */
    public ClusterDeferredSenders(ClusterNode node, RetryPriority config, Clock clock,
                                 ScheduledExecutorService executor) {
        this.map = node.hazelcast().getMap(MAP);
        this.generations = new MarkGenerations(config);
        this.shape = generations.emptyFilter();
        this.clock = clock;
        this.turns = executor.scheduleWithFixedDelay(this::turnSafely, TURN_MILLIS, TURN_MILLIS,
                TimeUnit.MILLISECONDS);
    }

    @Override
    public boolean mark(long key) {
        long now = clock.millis();
        if (!generations.add(key, now)) {
            return false;
        }
        long generation = generations.generationAt(now);
        synchronized (pendingLock) {
            if (pendingCount < MAX_PENDING) {
                int size = pendingSizes.getOrDefault(generation, 0);
                long[] keys = pending.computeIfAbsent(generation, g -> new long[16]);
                if (size == keys.length) {
                    keys = Arrays.copyOf(keys, size * 2);
                    pending.put(generation, keys);
                }
                keys[size] = key;
                pendingSizes.put(generation, size + 1);
                pendingCount++;
            }
        }
        return true;
    }

    @Override
    public long firstDeferred(long key) {
        return generations.firstDeferred(key, clock.millis());
    }

    @Override
    public long memoryBytes() {
        return generations.memoryBytes();
    }

    @Override
    public long maxBytes() {
        return generations.maxBytes();
    }

    @Override
    public void close() {
        turns.cancel(false);
    }

    private void turnSafely() {
        try {
            turn();
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            log.debug("exchanging marks of deferred senders failed; trying again at the next turn",
                    kv("error", e.toString()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Sends what this node marked since the last turn, then ORs in every live generation that changed. */
    void turn() throws ExecutionException, TimeoutException, InterruptedException {
        long now = clock.millis();
        List<CompletableFuture<Long>> sent = new ArrayList<>();
        for (Map.Entry<Long, long[]> added : takePending().entrySet()) {
            long generation = added.getKey();
            long ttl = generations.expiresAt(generation) - now;
            if (ttl > 0) {
                sent.add(map.submitToKey(generation, new MarkUnion(added.getValue(), shape, ttl))
                        .toCompletableFuture());
            }
        }
        CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new))
                .get(TURN_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);

        long[] live = generations.liveAt(now);
        long[] known = new long[live.length];
        Set<Long> keys = new HashSet<>();
        for (int i = 0; i < live.length; i++) {
            known[i] = versions.getOrDefault(live[i], 0L);
            keys.add(live[i]);
        }
        versions.keySet().retainAll(keys);
        Map<Long, MarkGeneration> changed = map.submitToKeys(keys, new MarkRead(live, known)).toCompletableFuture()
                .get(TURN_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        for (Map.Entry<Long, MarkGeneration> copy : changed.entrySet()) {
            if (copy.getValue() != null) {
                BloomFilter filter = BloomFilter.heapify(Memory.wrap(copy.getValue().filter()));
                if (generations.union(copy.getKey(), filter, now)) {
                    versions.put(copy.getKey(), copy.getValue().version());
                }
            }
        }
    }

    private Map<Long, long[]> takePending() {
        synchronized (pendingLock) {
            Map<Long, long[]> taken = new HashMap<>();
            pending.forEach((generation, keys) -> taken.put(generation,
                    Arrays.copyOf(keys, pendingSizes.get(generation))));
            pending = new HashMap<>();
            pendingSizes.clear();
            pendingCount = 0;
            return taken;
        }
    }
}
