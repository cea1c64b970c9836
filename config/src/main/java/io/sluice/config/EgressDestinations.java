package io.sluice.config;

import java.util.List;

/**
 * The operator's exceptions to the built-in rule that outbound delivery never connects to internal or
 * special-purpose addresses (loopback, RFC 1918, link-local and the like).
 *
 * @param allowed networks delivered to although the built-in rule forbids them, such as an internal MX
 * @param denied networks never delivered to, in addition to those the built-in rule forbids
 */
public record EgressDestinations(List<Cidr> allowed, List<Cidr> denied) {

    /** No exceptions: the built-in rule alone. */
    public static final EgressDestinations DEFAULT = new EgressDestinations(List.of(), List.of());

    public EgressDestinations {
        allowed = List.copyOf(allowed);
        denied = List.copyOf(denied);
        for (Cidr network : allowed) {
            if (denied.contains(network)) {
                throw new IllegalArgumentException("allowed: " + network
                        + " (expected: a network not also denied)");
            }
        }
    }
}
