package io.sluice.config;

import java.net.InetAddress;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One socket Sluice accepts SMTP connections on, and where it relays them.
 *
 * @param name unique name, used in logs and metrics
 * @param role what kind of traffic the listener takes
 * @param bind the local address and port; port 0 (an ephemeral port) is accepted here for tests, never from YAML
 * @param backendPool inbound: the key of the pool in {@link SluiceConfig#backends()} that mail is relayed to;
 *     empty for an outbound listener
 * @param proxyProtocol present when clients connect through a load balancer that sends a PROXY protocol header
 * @param tls present when the listener offers STARTTLS
 * @param egressPool outbound: the key of the pool in {@link EgressConfig#pools()} whose addresses mail leaves from;
 *     empty for an inbound listener
 * @param allowedClients outbound: the networks whose clients may relay, never every address; everyone else is refused
 *     at connect
 */
public record ListenerConfig(String name, ListenerRole role, HostPort bind, String backendPool,
                             Optional<ProxyProtocolConfig> proxyProtocol, Optional<TlsConfig> tls,
                             String egressPool, List<Cidr> allowedClients) {

    public ListenerConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(bind, "bind");
        Objects.requireNonNull(backendPool, "backendPool");
        Objects.requireNonNull(proxyProtocol, "proxyProtocol");
        Objects.requireNonNull(tls, "tls");
        Objects.requireNonNull(egressPool, "egressPool");
        allowedClients = List.copyOf(allowedClients);
        if (role == ListenerRole.INBOUND && backendPool.isEmpty()) {
            throw new IllegalArgumentException("listener " + name + ": backend-pool (expected: a pool for inbound)");
        }
        // Never an open relay: an outbound listener names who may use it.
        if (role == ListenerRole.OUTBOUND && (egressPool.isEmpty() || allowedClients.isEmpty())) {
            throw new IllegalArgumentException(
                    "listener " + name + ": egress-pool and allowed-clients (expected: both for outbound)");
        }
        if (CidrUnion.of(allowedClients).coversEveryAddress()) {
            throw new IllegalArgumentException("listener " + name + ": allowed-clients " + allowedClients
                    + " (expected: not every address, an open relay)");
        }
    }

    /** An inbound listener. */
    public ListenerConfig(String name, ListenerRole role, HostPort bind, String backendPool,
                          Optional<ProxyProtocolConfig> proxyProtocol, Optional<TlsConfig> tls) {
        this(name, role, bind, backendPool, proxyProtocol, tls, "", List.of());
    }

    /**
     * Whether this node can submit to the listener itself: bound to a wildcard or loopback address, and admitting
     * 127.0.0.1 (Sluice's own TLS reports go out so).
     */
    public boolean reachableOverLoopback() {
        InetAddress bound = Addresses.literal(bind.host());
        InetAddress loopback = InetAddress.getLoopbackAddress();
        boolean local = bound == null ? "localhost".equals(bind.host())
                : bound.isAnyLocalAddress() || bound.isLoopbackAddress();
        return local && allowedClients.stream().anyMatch(network -> network.contains(loopback));
    }

    /** An outbound listener without PROXY protocol or STARTTLS. */
    public static ListenerConfig outbound(String name, HostPort bind, String egressPool, List<Cidr> allowedClients) {
        return new ListenerConfig(name, ListenerRole.OUTBOUND, bind, "", Optional.empty(), Optional.empty(),
                egressPool, allowedClients);
    }
}
