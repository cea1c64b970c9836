package io.sluice.proxy.egress;

import static io.sluice.proxy.egress.DestinationClass.BENCHMARKING;
import static io.sluice.proxy.egress.DestinationClass.BROADCAST;
import static io.sluice.proxy.egress.DestinationClass.CGNAT;
import static io.sluice.proxy.egress.DestinationClass.DENIED;
import static io.sluice.proxy.egress.DestinationClass.DOCUMENTATION;
import static io.sluice.proxy.egress.DestinationClass.IETF_PROTOCOL;
import static io.sluice.proxy.egress.DestinationClass.LINK_LOCAL;
import static io.sluice.proxy.egress.DestinationClass.LOOPBACK;
import static io.sluice.proxy.egress.DestinationClass.MULTICAST;
import static io.sluice.proxy.egress.DestinationClass.PRIVATE;
import static io.sluice.proxy.egress.DestinationClass.RESERVED;
import static io.sluice.proxy.egress.DestinationClass.UNIQUE_LOCAL;
import static io.sluice.proxy.egress.DestinationClass.UNSPECIFIED;

import io.sluice.config.Cidr;
import io.sluice.config.EgressDestinations;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;

/**
 * Decides whether outbound delivery may connect to an address. Never, by default, to the special-purpose networks
 * of the IANA registries (RFC 6890) that no mail exchanger on the internet has: loopback, private, link-local,
 * CGNAT, unique-local, multicast, documentation, benchmarking, reserved; nor to an IPv4 address of those in the
 * IPv6 forms that reach it (IPv4-mapped, NAT64, 6to4). The operator's allowed networks lift the default, the
 * denied ones add to it; where both hold an address, the longer prefix decides.
 */
final class ForbiddenDestinations {

    private record Range(Cidr network, DestinationClass kind) {}

    // First match wins, so a network inside another comes first.
    private static final List<Range> BUILT_IN = List.of(
            // IPv4: RFC 6890 §2.2.2 and its updates.
            range("0.0.0.0/8", UNSPECIFIED),          // RFC 1122 §3.2.1.3: "this network"
            range("10.0.0.0/8", PRIVATE),             // RFC 1918
            range("100.64.0.0/10", CGNAT),            // RFC 6598: shared address space
            range("127.0.0.0/8", LOOPBACK),           // RFC 1122 §3.2.1.3
            range("169.254.0.0/16", LINK_LOCAL),      // RFC 3927; cloud metadata services live here
            range("172.16.0.0/12", PRIVATE),          // RFC 1918
            range("192.0.0.0/24", IETF_PROTOCOL),     // RFC 6890 §2.2.2
            range("192.0.2.0/24", DOCUMENTATION),     // RFC 5737
            range("192.88.99.0/24", RESERVED),        // RFC 7526: the deprecated 6to4 relay anycast
            range("192.168.0.0/16", PRIVATE),         // RFC 1918
            range("198.18.0.0/15", BENCHMARKING),     // RFC 2544
            range("198.51.100.0/24", DOCUMENTATION),  // RFC 5737
            range("203.0.113.0/24", DOCUMENTATION),   // RFC 5737
            range("224.0.0.0/4", MULTICAST),          // RFC 5771
            range("255.255.255.255/32", BROADCAST),   // RFC 919
            range("240.0.0.0/4", RESERVED),           // RFC 1112 §4
            // IPv6: RFC 6890 §2.2.3 and its updates. Outside 2000::/3 everything is refused below.
            range("::/128", UNSPECIFIED),             // RFC 4291 §2.5.2
            range("::1/128", LOOPBACK),               // RFC 4291 §2.5.3
            range("64:ff9b:1::/48", PRIVATE),         // RFC 8215: local-use NAT64
            range("2001::/32", RESERVED),             // RFC 4380: Teredo, whose client address is hidden
            range("2001:2::/48", BENCHMARKING),       // RFC 5180
            range("2001::/23", IETF_PROTOCOL),        // RFC 2928
            range("2001:db8::/32", DOCUMENTATION),    // RFC 3849
            range("3fff::/20", DOCUMENTATION),        // RFC 9637
            range("fc00::/7", UNIQUE_LOCAL),          // RFC 4193
            range("fe80::/10", LINK_LOCAL),           // RFC 4291 §2.5.6
            range("fec0::/10", RESERVED),             // RFC 3879: deprecated site-local
            range("ff00::/8", MULTICAST));            // RFC 4291 §2.7

    // RFC 4291 §2.4: global unicast; the rest of the IPv6 space is unassigned or special (IPv4-compatible included).
    private static final Cidr GLOBAL_UNICAST = Cidr.parse("2000::/3");
    // RFC 6052 §2.1: the well-known prefix, the IPv4 address in the last 32 bits.
    private static final Cidr NAT64 = Cidr.parse("64:ff9b::/96");
    // RFC 3056 §2: the IPv4 address in bits 16-47.
    private static final Cidr SIX_TO_FOUR = Cidr.parse("2002::/16");

    private final List<Cidr> allowed;
    private final List<Cidr> denied;

    ForbiddenDestinations(EgressDestinations config) {
        this.allowed = config.allowed();
        this.denied = config.denied();
    }

    /** Why delivery may not connect to the address, or null when it may. */
    DestinationClass refusal(InetAddress address) {
        // A dual-stack socket connects ::ffff:a.b.c.d to a.b.c.d: it is that address.
        InetAddress plain = unmapped(address);
        Cidr allow = longestMatch(allowed, plain);
        Cidr deny = longestMatch(denied, plain);
        if (deny != null && (allow == null || deny.prefixLength() >= allow.prefixLength())) {
            return DENIED;
        }
        if (allow != null) {
            return null;
        }
        InetAddress embedded = embeddedIpv4(plain);
        if (embedded != null) {
            // A NAT64 or 6to4 gateway forwards to the IPv4 address inside: the IPv4 rule applies.
            return refusal(embedded);
        }
        for (Range range : BUILT_IN) {
            if (range.network().contains(plain)) {
                return range.kind();
            }
        }
        return plain instanceof Inet6Address && !GLOBAL_UNICAST.contains(plain) ? RESERVED : null;
    }

    private static Cidr longestMatch(List<Cidr> networks, InetAddress address) {
        Cidr longest = null;
        for (Cidr network : networks) {
            if (network.contains(address) && (longest == null || network.prefixLength() > longest.prefixLength())) {
                longest = network;
            }
        }
        return longest;
    }

    private static InetAddress embeddedIpv4(InetAddress address) {
        if (NAT64.contains(address)) {
            return ipv4(address.getAddress(), 12);
        }
        if (SIX_TO_FOUR.contains(address)) {
            return ipv4(address.getAddress(), 2);
        }
        return null;
    }

    private static InetAddress unmapped(InetAddress address) {
        byte[] bytes = address.getAddress();
        boolean mapped = bytes.length == 16 && bytes[10] == (byte) 0xff && bytes[11] == (byte) 0xff
                && Arrays.equals(bytes, 0, 10, new byte[10], 0, 10);
        return mapped ? ipv4(bytes, 12) : address;
    }

    private static InetAddress ipv4(byte[] bytes, int offset) {
        try {
            return InetAddress.getByAddress(Arrays.copyOfRange(bytes, offset, offset + 4));
        } catch (UnknownHostException e) {
            throw new AssertionError("four bytes are always an IPv4 address", e);
        }
    }

    private static Range range(String cidr, DestinationClass kind) {
        return new Range(Cidr.parse(cidr), kind);
    }
}
