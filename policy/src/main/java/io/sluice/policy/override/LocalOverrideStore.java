package io.sluice.policy.override;

import io.sluice.config.OverrideSpec;
import io.sluice.policy.eval.PolicyEngine;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Overrides of this node alone, in force on it only. */
public final class LocalOverrideStore implements OverrideStore {

    private final OverridesInForce inForce;
    private final Clock clock;

    public LocalOverrideStore(PolicyEngine engine, Clock clock) {
        this.inForce = new OverridesInForce(engine, clock);
        this.clock = clock;
    }

    @Override
    public List<LimitOverride> list() {
        return inForce.list();
    }

    @Override
    public CompletableFuture<LimitOverride> add(OverrideSpec spec, String createdBy) {
        LimitOverride override = LimitOverride.create(spec, createdBy, clock);
        inForce.put(override);
        return CompletableFuture.completedFuture(override);
    }

    @Override
    public CompletableFuture<Boolean> remove(String id) {
        return CompletableFuture.completedFuture(inForce.remove(id));
    }
}
