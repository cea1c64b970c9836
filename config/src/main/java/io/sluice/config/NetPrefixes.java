package io.sluice.config;

/**
 * The network sizes a {@code client-net} key groups clients by.
 *
 * @param ipv4 prefix length for IPv4 clients, 0-32
 * @param ipv6 prefix length for IPv6 clients, 0-128
 */
public record NetPrefixes(int ipv4, int ipv6) {

    /** A /24 is what IPv4 senders usually share; a /64 is one IPv6 site's LAN. */
    public static final NetPrefixes DEFAULT = new NetPrefixes(24, 64);

    public NetPrefixes {
        if (ipv4 < 0 || ipv4 > 32) {
            throw new IllegalArgumentException("ipv4: " + ipv4 + " (expected: 0-32)");
        }
        if (ipv6 < 0 || ipv6 > 128) {
            throw new IllegalArgumentException("ipv6: " + ipv6 + " (expected: 0-128)");
        }
    }
}
