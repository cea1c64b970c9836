package io.sluice.config;

import java.time.Duration;

/**
 * How this node says goodbye on SIGTERM.
 *
 * @param announce how long the node keeps accepting and serving after readiness turns false, while the load
 *     balancer takes it out of its pool
 * @param timeout how long sessions then have to finish their transactions before whatever is left is closed
 */
public record DrainConfig(Duration announce, Duration timeout) {

    /** Five seconds of announce: enough for Kubernetes endpoints; a BIG-IP wants a preStop sleep before it. */
    public static final DrainConfig DEFAULT = new DrainConfig(Duration.ofSeconds(5), Duration.ofSeconds(30));

    public DrainConfig {
        if (announce == null || announce.isNegative()) {
            throw new IllegalArgumentException("announce: " + announce + " (expected: >= 0)");
        }
        SmtpTimeouts.requirePositive(timeout, "timeout");
    }
}
