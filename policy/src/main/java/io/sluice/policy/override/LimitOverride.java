package io.sluice.policy.override;

import io.sluice.config.OverrideSpec;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;

/**
 * An override as it is kept: what it changes, and who made it when, under an id to list and remove it by.
 *
 * @param id unique among the overrides of a cluster
 * @param spec the rule, where, by how much, and until when
 * @param createdBy the name of the admin token that made it
 * @param created when it was made
 */
public record LimitOverride(String id, OverrideSpec spec, String createdBy, Instant created) {

    public LimitOverride {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(createdBy, "createdBy");
        // Milliseconds, as the cluster keeps it: the same override reads the same on every node.
        created = created.truncatedTo(ChronoUnit.MILLIS);
    }

    /** A new override under a new id, made now by {@code createdBy}. */
    public static LimitOverride create(OverrideSpec spec, String createdBy, Clock clock) {
        return new LimitOverride(OverrideIds.next(), spec, createdBy, clock.instant());
    }

    /** Whether it still applies at {@code epochMillis}: until it expires. */
    public boolean activeAt(long epochMillis) {
        return epochMillis < spec.expires().toEpochMilli();
    }
}
