package io.sluice.policy.override;

import io.sluice.policy.eval.PolicyEngine;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * This node's copy of the overrides, kept in step with the engine: every change, and every expiry noticed, swaps
 * a new snapshot into it. An expired override stops applying at its time whatever this copy holds (the snapshot
 * checks the time); dropping it here only keeps the list and the snapshot short.
 */
public final class OverridesInForce {

    private final PolicyEngine engine;
    private final Clock clock;
    private final Map<String, LimitOverride> byId = new HashMap<>();

    public OverridesInForce(PolicyEngine engine, Clock clock) {
        this.engine = engine;
        this.clock = clock;
    }

    public synchronized void put(LimitOverride override) {
        byId.put(override.id(), override);
        dropExpiredAndApply();
    }

    public synchronized boolean remove(String id) {
        boolean removed = byId.remove(id) != null;
        dropExpiredAndApply();
        return removed;
    }

    /** The overrides not expired, oldest first. */
    public synchronized List<LimitOverride> list() {
        if (byId.values().stream().anyMatch(this::expired)) {
            dropExpiredAndApply();
        }
        return oldestFirst();
    }

    private boolean expired(LimitOverride override) {
        return !override.activeAt(clock.millis());
    }

    private void dropExpiredAndApply() {
        byId.values().removeIf(this::expired);
        engine.override(oldestFirst());
    }

    // Events from the cluster may arrive in any order; the time each was made does not change.
    private List<LimitOverride> oldestFirst() {
        List<LimitOverride> ordered = new ArrayList<>(byId.values());
        ordered.sort(Comparator.comparing(LimitOverride::created).thenComparing(LimitOverride::id));
        return List.copyOf(ordered);
    }
}
