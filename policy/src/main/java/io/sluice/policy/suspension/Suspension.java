package io.sluice.policy.suspension;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * The terms a suspension holds on: until when, and, for one a receiver's reply asked for, the feedback rule and the
 * reply.
 *
 * @param expiresMillis when it ends by itself, in epoch milliseconds; 0 for one that holds until lifted
 * @param rule the feedback rule that took it; empty for an operator's
 * @param reason the remote reply it answers, on one line; empty for an operator's
 */
public record Suspension(long expiresMillis, String rule, String reason) {

    /** An operator's suspension: until lifted. */
    public static final Suspension UNTIL_LIFTED = new Suspension(0, "", "");

    public Suspension {
        if (expiresMillis < 0) {
            throw new IllegalArgumentException("expiresMillis: " + expiresMillis + " (expected: >= 0)");
        }
        Objects.requireNonNull(rule, "rule");
        Objects.requireNonNull(reason, "reason");
    }

    /** When it ends by itself; empty for one that holds until lifted. */
    public Optional<Instant> expires() {
        return expiresMillis == 0 ? Optional.empty() : Optional.of(Instant.ofEpochMilli(expiresMillis));
    }
}
