package io.sluice.proxy.egress;

import java.util.Locale;

/** Why outbound delivery does not connect to an address: the kind of network it is in. */
enum DestinationClass {
    UNSPECIFIED,
    LOOPBACK,
    PRIVATE,
    CGNAT,
    LINK_LOCAL,
    UNIQUE_LOCAL,
    MULTICAST,
    BROADCAST,
    IETF_PROTOCOL,
    DOCUMENTATION,
    BENCHMARKING,
    RESERVED,
    /** In a network of {@code egress.denied-destinations}. */
    DENIED;

    /** The tag value in metrics and logs, such as {@code link_local}. */
    String tag() {
        return name().toLowerCase(Locale.ROOT);
    }
}
