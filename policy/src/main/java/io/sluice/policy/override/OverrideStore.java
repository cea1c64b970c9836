package io.sluice.policy.override;

import io.sluice.config.OverrideSpec;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Where the overrides of the limits are kept until they expire; the store puts what it keeps into force on this
 * node's engine, and forgets an override by itself once it expires.
 */
public interface OverrideStore {

    /** The overrides not expired yet, oldest first; answers at once, without asking anyone else. */
    List<LimitOverride> list();

    /** Adds an override; it is in force on this node when the future completes, and on the others soon after. */
    CompletableFuture<LimitOverride> add(OverrideSpec spec, String createdBy);

    /** Removes an override; answers whether there was one with that id. */
    CompletableFuture<Boolean> remove(String id);
}
