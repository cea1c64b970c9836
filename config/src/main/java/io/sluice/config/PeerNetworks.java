package io.sluice.config;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Reads the networks a listener trusts, and refuses lists that trust everyone: who may relay through an outbound
 * listener, and whose PROXY header an inbound listener believes.
 */
final class PeerNetworks {

    /** The key that acknowledges an {@code allowed-clients} list wider than {@link #IPV4_LIMIT} or {@link #IPV6_LIMIT}. */
    static final String OPEN_KEY = "allowed-clients-open";
    // A /8 of IPv4 and a /32 of IPv6 (one RIR allocation to an ISP): far more than any fleet of MTAs.
    static final BigInteger IPV4_LIMIT = BigInteger.ONE.shiftLeft(24);
    static final BigInteger IPV6_LIMIT = BigInteger.ONE.shiftLeft(96);

    private static final String RELAY_EXPECTED =
            "a network of the MTAs that relay through Sluice, not every address (an open relay)";
    private static final String WIDE_RELAY_EXPECTED = "at most " + CidrUnion.describe(IPV4_LIMIT)
            + " IPv4 addresses (a /8) and " + CidrUnion.describe(IPV6_LIMIT) + " IPv6 (a /32), the MTAs' own"
            + " networks; or " + OPEN_KEY + ": true on this listener to relay for every one of them";
    private static final String TRUSTED_EXPECTED = "the load balancers' own addresses, not every address: a PROXY"
            + " header from anyone lets any client choose the address Sluice sees";

    private PeerNetworks() {
    }

    /** The clients that may relay: never every address, and beyond a /8 or a /32 only if {@code open} says so. */
    static List<Cidr> relayClients(Value list, String listExpected, Value open) {
        List<Cidr> clients = networks(list, listExpected, RELAY_EXPECTED);
        boolean acknowledged = Boolean.TRUE.equals(open.optional(Conversion.BOOLEAN, false));
        CidrUnion union = CidrUnion.of(clients);
        if (refusedAsEveryone(list, clients, union, RELAY_EXPECTED)) {
            return clients;
        }
        if (!acknowledged && (union.ipv4().compareTo(IPV4_LIMIT) > 0 || union.ipv6().compareTo(IPV6_LIMIT) > 0)) {
            List<String> sizes = new ArrayList<>();
            if (union.ipv4().compareTo(IPV4_LIMIT) > 0) {
                sizes.add(CidrUnion.describe(union.ipv4()) + " IPv4");
            }
            if (union.ipv6().compareTo(IPV6_LIMIT) > 0) {
                sizes.add(CidrUnion.describe(union.ipv6()) + " IPv6");
            }
            list.refuse(found(clients) + " admit " + String.join(" and ", sizes) + " addresses", WIDE_RELAY_EXPECTED);
        }
        return clients;
    }

    /** The peers whose PROXY header is believed: never every address. */
    static List<Cidr> proxyTrusted(Value list, String listExpected) {
        List<Cidr> trusted = networks(list, listExpected, TRUSTED_EXPECTED);
        refusedAsEveryone(list, trusted, CidrUnion.of(trusted), TRUSTED_EXPECTED);
        return trusted;
    }

    /** Reports a list whose networks together admit every address of a family, as a /0 would. */
    private static boolean refusedAsEveryone(Value list, List<Cidr> networks, CidrUnion union, String expected) {
        if (!union.coversEveryAddress()) {
            return false;
        }
        String family = union.ipv4().equals(CidrUnion.EVERY_IPV4) ? "IPv4" : "IPv6";
        list.refuse(found(networks) + " admit every " + family + " address", expected);
        return true;
    }

    /**
     * The list's CIDRs; a {@code /0} is reported at its own item, and left out so that the list is not reported
     * again for it. Items that are no CIDR are reported and left out too.
     */
    private static List<Cidr> networks(Value list, String listExpected, String everyoneExpected) {
        List<Cidr> networks = new ArrayList<>();
        for (Value item : list.nonEmptyList(listExpected)) {
            Cidr cidr = item.required(Conversion.CIDR);
            if (cidr != null && cidr.prefixLength() == 0) {
                item.invalid(everyoneExpected);
            } else if (cidr != null) {
                networks.add(cidr);
            }
        }
        return networks;
    }

    private static String found(List<Cidr> networks) {
        return networks.stream().map(cidr -> Conversion.quote(cidr.toString()))
                .collect(Collectors.joining(", ", "[", "]"));
    }
}
