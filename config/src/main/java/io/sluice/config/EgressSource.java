package io.sluice.config;

import java.net.InetAddress;
import java.util.Objects;

/**
 * One source address of an egress pool.
 *
 * @param address the local address outbound connections bind; it must be configured on this host
 * @param helo the name said in EHLO from this address, the one its PTR record gives
 */
public record EgressSource(InetAddress address, String helo) {

    public EgressSource {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(helo, "helo");
    }

    /** The address as written in the configuration and logs, such as {@code 203.0.113.10}. */
    public String text() {
        return address.getHostAddress();
    }
}
