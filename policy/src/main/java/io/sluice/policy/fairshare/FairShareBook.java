package io.sluice.policy.fairshare;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.datasketches.frequencies.ErrorType;
import org.apache.datasketches.frequencies.LongsSketch;
import org.apache.datasketches.hll.Union;
import org.apache.datasketches.memory.XxHash;

/**
 * One fair-share rule's books on one node, window by window: the demand of each key (tokens asked, admitted or not)
 * in the current window, and each capped key's allowance on this node for it, from the demand of the window before
 * across the cluster. A key is capped when its demand was above the water level of the rule's rate
 * ({@link MaxMinShares}); its allowance on this node is the level times this node's part of its demand. Keys not
 * capped (under the level, or new) have no allowance and no count. Memory is bounded by the summaries' sketches
 * ({@link ShareSummary#MAP_SIZE}) whatever the number of keys: a flood of random networks fills the sketch, whose
 * heaviest keys stay named. Safe for any thread.
 */
public final class FairShareBook {

    /** How long a window is: demand is counted, and shares set, per window of this length. */
    public static final long WINDOW_MILLIS = 1_000;
    private static final long KEY_SEED = 0x5109_1ce0_0018_0003L;

    private final double capacityPerWindow;
    private final Supplier<List<ShareSummary>> others;
    private long window = Long.MIN_VALUE;
    private ShareSummary current;
    private ShareSummary closed;
    private Map<Long, Allowance> capped = Map.of();
    private double level = Double.POSITIVE_INFINITY;

    /**
     * @param tokensPerMilli the rule's refill rate
     * @param others the other nodes' latest summaries of this rule (none for a node alone)
     */
    public FairShareBook(double tokensPerMilli, Supplier<List<ShareSummary>> others) {
        this.capacityPerWindow = tokensPerMilli * WINDOW_MILLIS;
        this.others = others;
    }

    /** The 64-bit key of a client network, such as {@code 198.51.100.0/24}. */
    public static long keyOf(String network) {
        byte[] bytes = network.getBytes(StandardCharsets.UTF_8);
        return XxHash.hashByteArr(bytes, 0, bytes.length, KEY_SEED);
    }

    /** The window {@code epochMillis} falls in. */
    public static long windowAt(long epochMillis) {
        return Math.floorDiv(epochMillis, WINDOW_MILLIS);
    }

    /** Until the window of {@code epochMillis} ends, in milliseconds. */
    public static long millisLeft(long epochMillis) {
        return WINDOW_MILLIS - Math.floorMod(epochMillis, WINDOW_MILLIS);
    }

    /** A request of {@code key} asked for {@code tokens} at {@code epochMillis}. */
    public synchronized void offered(long key, long tokens, long epochMillis) {
        roll(epochMillis);
        current.demand().update(key, tokens);
        current.keys().update(key);
    }

    /**
     * The key's standing on this node at {@code epochMillis}: its allowance in the window, and the part of it due by
     * then; null when it is not capped.
     */
    public synchronized Share share(long key, long epochMillis) {
        roll(epochMillis);
        return standing(capped.get(key), epochMillis, level);
    }

    /**
     * The key's standing and the water level at {@code epochMillis} as {@link #share} would find them, without counting
     * anything or moving the book on to a new window: for looking.
     */
    public synchronized Look look(long key, long epochMillis) {
        long now = windowAt(epochMillis);
        if (now <= window) {
            return new Look(level, standing(capped.get(key), epochMillis, level));
        }
        // The first request of the new window will close the current one and compute its shares from it (what
        // closed before it is older than the window before the new one, so it counts for nothing then).
        Allowances computed = allowancesOf(now, closing(now));
        Double tokens = computed.tokens().get(key);
        return new Look(computed.level(),
                tokens == null ? null : standing(new Allowance(tokens, 0), epochMillis, computed.level()));
    }

    private Share standing(Allowance allowance, long epochMillis, double level) {
        if (allowance == null) {
            return null;
        }
        // A late reading counts as the window's first millisecond.
        long at = Math.max(epochMillis, window * WINDOW_MILLIS);
        double elapsed = (double) (Math.floorMod(at, WINDOW_MILLIS) + 1) / WINDOW_MILLIS;
        return new Share(allowance.tokens, allowance.tokens * elapsed, allowance.taken, level);
    }

    /** A request of {@code key} took {@code tokens} at {@code epochMillis}: counted if the key is capped. */
    public synchronized void taken(long key, long tokens, long epochMillis) {
        roll(epochMillis);
        Allowance allowance = capped.get(key);
        if (allowance != null) {
            allowance.taken += tokens;
        }
    }

    /** This node's summary of the last window that ended by {@code epochMillis}, or null if none had demand. */
    public synchronized ShareSummary lastClosed(long epochMillis) {
        roll(epochMillis);
        return closed;
    }

    /** The window this book last counted in. */
    public synchronized long window() {
        return window;
    }

    /** Another node's summary came: the allowances of this window are computed again with it. */
    public synchronized void othersChanged() {
        if (current != null) {
            recompute();
        }
    }

    private void roll(long epochMillis) {
        long now = windowAt(epochMillis);
        // A reading older than the window (taken before another thread's later one got the lock) counts in it.
        if (now <= window) {
            return;
        }
        ShareSummary closing = closing(now);
        if (closing != null) {
            closed = closing;
        } else if (closed != null && closed.window() < now - 2) {
            closed = null;
        }
        window = now;
        current = ShareSummary.empty(now);
        // What a key took counts in its window alone.
        capped = Map.of();
        recompute();
    }

    /** The current window's summary when it is the one just before window {@code now} and saw demand; else null. */
    private ShareSummary closing(long now) {
        return current != null && current.window() == now - 1 && !current.demand().isEmpty() ? current : null;
    }

    // The shares of this window come from the demand of the one before; another node's summary of it may come late,
    // so until then its summary of the window before that stands in.
    private void recompute() {
        Allowances computed = allowancesOf(window, closed != null && closed.window() == window - 1 ? closed : null);
        level = computed.level();
        Map<Long, Allowance> next = new HashMap<>();
        computed.tokens().forEach((key, tokens) -> next.put(key, new Allowance(tokens, takenSoFar(key))));
        capped = next;
    }

    // The allowances of window {@code at} from this node's summary of the window before (null if none) and the others'.
    private Allowances allowancesOf(long at, ShareSummary own) {
        long basis = at - 1;
        List<ShareSummary> recent = others.get().stream()
                .filter(summary -> summary.window() == basis || summary.window() == basis - 1)
                .toList();
        return allowances(capacityPerWindow, own, recent);
    }

    // Recomputed within a window, a key keeps what it took in it.
    private long takenSoFar(long key) {
        Allowance before = capped.get(key);
        return before == null ? 0 : before.taken;
    }

    /**
     * The allowances of one window on one node: the water level of {@code capacity} over the cluster's demand (this
     * node's and the others'), and for each key above it that this node saw, the level times this node's part of the
     * key's demand.
     *
     * @param own this node's summary of the window the shares come from; null if it saw no demand
     */
    public static Allowances allowances(double capacity, ShareSummary own, List<ShareSummary> others) {
        if (own == null) {
            // This node saw nothing then: no key of it is capped, whatever the others saw.
            return new Allowances(Double.POSITIVE_INFINITY, Map.of());
        }
        LongsSketch demand = new LongsSketch(ShareSummary.MAP_SIZE);
        Union keys = new Union(ShareSummary.LG_KEYS);
        demand.merge(own.demand());
        keys.update(own.keys());
        for (ShareSummary other : others) {
            demand.merge(other.demand());
            keys.update(other.keys());
        }
        LongsSketch.Row[] rows = demand.getFrequentItems(ErrorType.NO_FALSE_NEGATIVES);
        double[] named = new double[rows.length];
        double namedTotal = 0;
        for (int i = 0; i < rows.length; i++) {
            named[i] = rows[i].getEstimate();
            namedTotal += named[i];
        }
        double rest = Math.max(0, demand.getStreamLength() - namedTotal);
        long restKeys = Math.max(rest > 0 ? 1 : 0, Math.round(keys.getEstimate()) - rows.length);
        double level = MaxMinShares.level(capacity, named, rest, restKeys);
        if (Double.isInfinite(level)) {
            return new Allowances(level, Map.of());
        }
        Map<Long, Double> tokens = new HashMap<>();
        for (int i = 0; i < rows.length; i++) {
            long local = own.demand().getEstimate(rows[i].getItem());
            if (named[i] > level && local > 0) {
                tokens.put(rows[i].getItem(), level * Math.min(1, (double) local / named[i]));
            }
        }
        return new Allowances(level, tokens);
    }

    /**
     * The allowances of one window.
     *
     * @param level the water level: the most tokens a key may take in the window across the cluster; infinite when
     *     every demand fitted
     * @param tokens per capped key, the tokens it may take on this node
     */
    public record Allowances(double level, Map<Long, Double> tokens) {
    }

    /**
     * A capped key's standing in the current window on this node. Its allowance is paced over the window: a burst of
     * its requests (a stalled event loop, a backlog let go) cannot take the window's allowance at once and leave the
     * bucket empty when the other keys' requests come.
     *
     * @param allowance the tokens it may take here in this window
     * @param paced the part of the allowance due by now: the allowance times the part of the window gone
     * @param taken the tokens it took here in this window
     * @param level the water level across the cluster, in tokens per window
     */
    public record Share(double allowance, double paced, long taken, double level) {
        /** Whether {@code tokens} more would take the key past the part of its allowance due by now. */
        public boolean over(long tokens) {
            return taken + tokens > paced;
        }
    }

    /**
     * What a look at a key finds.
     *
     * @param level the water level across the cluster, in tokens per window; infinite when every demand fitted
     * @param share the key's standing; null when it is not capped
     */
    public record Look(double level, Share share) {
    }

    private static final class Allowance {
        final double tokens;
        long taken;

        Allowance(double tokens, long taken) {
            this.tokens = tokens;
            this.taken = taken;
        }
    }
}
