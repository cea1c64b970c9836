package io.sluice.config;

import java.util.Objects;
import java.util.Optional;

/**
 * One socket Sluice accepts SMTP connections on, and where it relays them.
 *
 * @param name unique name, used in logs and metrics
 * @param role what kind of traffic the listener takes
 * @param bind the local address and port; port 0 (an ephemeral port) is accepted here for tests, never from YAML
 * @param backendPool the key of the pool in {@link SluiceConfig#backends()} that inbound mail is relayed to
 * @param proxyProtocol present when clients connect through a load balancer that sends a PROXY protocol header
 * @param tls present when the listener offers STARTTLS
 */
public record ListenerConfig(String name, ListenerRole role, HostPort bind, String backendPool,
                             Optional<ProxyProtocolConfig> proxyProtocol, Optional<TlsConfig> tls) {

    public ListenerConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(bind, "bind");
        Objects.requireNonNull(backendPool, "backendPool");
        Objects.requireNonNull(proxyProtocol, "proxyProtocol");
        Objects.requireNonNull(tls, "tls");
    }
}
