package io.sluice.proxy.egress;

import java.net.InetAddress;
import java.util.List;
import java.util.Objects;

/**
 * One mail exchanger of a domain with the addresses its name resolved to.
 *
 * @param name the host name, without the trailing dot; for an implicit MX (RFC 5321 §5.1) the domain itself
 * @param preference the MX preference; lower is tried first
 * @param addresses IPv4 and IPv6 addresses, IPv4 first
 */
public record MxHost(String name, int preference, List<InetAddress> addresses) {

    public MxHost {
        Objects.requireNonNull(name, "name");
        addresses = List.copyOf(addresses);
    }
}
