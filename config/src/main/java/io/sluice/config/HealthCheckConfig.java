package io.sluice.config;

import java.time.Duration;

/**
 * How Sluice probes the servers of a backend pool to stop sending to ones that are down.
 *
 * @param interval time between two probes of one server
 * @param timeout how long one probe may take before the server counts as down
 */
public record HealthCheckConfig(Duration interval, Duration timeout) {

    public HealthCheckConfig {
        SmtpTimeouts.requirePositive(interval, "interval");
        SmtpTimeouts.requirePositive(timeout, "timeout");
    }
}
