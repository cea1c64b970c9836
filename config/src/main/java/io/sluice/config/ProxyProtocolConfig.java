package io.sluice.config;

import java.time.Duration;
import java.util.List;

/**
 * Accepting a PROXY protocol header (HAProxy's v1 or v2) that carries the real client address through a load
 * balancer.
 *
 * @param trusted the peers allowed to send the header, never every address; a header from anyone else would let them
 *     forge their address
 * @param timeout how long to wait for the header after the connection opens
 */
public record ProxyProtocolConfig(List<Cidr> trusted, Duration timeout) {

    public ProxyProtocolConfig {
        trusted = List.copyOf(trusted);
        if (trusted.isEmpty()) {
            throw new IllegalArgumentException("trusted: [] (expected: at least one CIDR)");
        }
        if (CidrUnion.of(trusted).coversEveryAddress()) {
            throw new IllegalArgumentException("trusted: " + trusted + " (expected: not every address)");
        }
        SmtpTimeouts.requirePositive(timeout, "timeout");
    }
}
