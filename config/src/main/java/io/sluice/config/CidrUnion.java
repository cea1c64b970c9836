package io.sluice.config;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * How many peers a set of CIDRs admits, each address counted once however the CIDRs overlap, per family as
 * {@link Cidr#contains} matches them: an IPv4-mapped peer ({@code ::ffff:a.b.c.d}) counts as IPv4, so no IPv6
 * network admits one, and the mapped block is no part of the IPv6 count.
 *
 * @param ipv4 the IPv4 addresses admitted, 0 to 2^32
 * @param ipv6 the IPv6 addresses admitted, outside the IPv4-mapped block: 0 to 2^128 - 2^32
 */
record CidrUnion(BigInteger ipv4, BigInteger ipv6) {

    static final BigInteger EVERY_IPV4 = BigInteger.ONE.shiftLeft(32);
    // RFC 4291 §2.5.5.2: ::ffff:0:0/96, the 2^32 IPv4-mapped addresses.
    private static final BigInteger MAPPED_START = BigInteger.valueOf(0xffff).shiftLeft(32);
    private static final BigInteger MAPPED_END = MAPPED_START.add(EVERY_IPV4);
    static final BigInteger EVERY_IPV6 = BigInteger.ONE.shiftLeft(128).subtract(EVERY_IPV4);

    /** A half-open range of addresses as numbers, [start, end). */
    private record Span(BigInteger start, BigInteger end) {
    }

    static CidrUnion of(Collection<Cidr> cidrs) {
        List<Span> ipv4 = new ArrayList<>();
        List<Span> ipv6 = new ArrayList<>();
        for (Cidr cidr : cidrs) {
            byte[] network = cidr.network().getAddress();
            BigInteger start = new BigInteger(1, network);
            Span span = new Span(start, start.add(BigInteger.ONE.shiftLeft(network.length * 8 - cidr.prefixLength())));
            (network.length == 4 ? ipv4 : ipv6).add(span);
        }
        List<Span> mergedIpv6 = merged(ipv6);
        return new CidrUnion(size(merged(ipv4)), size(mergedIpv6).subtract(mapped(mergedIpv6)));
    }

    /** Whether every IPv4 or every IPv6 address is admitted: a list of everyone, not of some peers. */
    boolean coversEveryAddress() {
        return ipv4.equals(EVERY_IPV4) || ipv6.equals(EVERY_IPV6);
    }

    /** The same spans, sorted, with those that overlap or touch joined into one. */
    private static List<Span> merged(List<Span> spans) {
        List<Span> sorted = new ArrayList<>(spans);
        sorted.sort(Comparator.comparing(Span::start));
        List<Span> merged = new ArrayList<>();
        for (Span span : sorted) {
            Span last = merged.isEmpty() ? null : merged.get(merged.size() - 1);
            if (last != null && span.start().compareTo(last.end()) <= 0) {
                merged.set(merged.size() - 1, new Span(last.start(), last.end().max(span.end())));
            } else {
                merged.add(span);
            }
        }
        return merged;
    }

    private static BigInteger size(List<Span> disjoint) {
        return disjoint.stream().map(s -> s.end().subtract(s.start())).reduce(BigInteger.ZERO, BigInteger::add);
    }

    /** How much of the IPv4-mapped block disjoint IPv6 spans cover: addresses an IPv6 network never matches. */
    private static BigInteger mapped(List<Span> disjoint) {
        BigInteger covered = BigInteger.ZERO;
        for (Span span : disjoint) {
            BigInteger overlap = span.end().min(MAPPED_END).subtract(span.start().max(MAPPED_START));
            covered = covered.add(overlap.max(BigInteger.ZERO));
        }
        return covered;
    }

    /** A count as an operator reads it: {@code 2^25} for a large power of two, else the number, or its order. */
    static String describe(BigInteger count) {
        int log = count.bitLength() - 1;
        if (log >= 8 && count.bitCount() == 1) {
            return "2^" + log;
        }
        return log < 40 ? count.toString() : "more than 2^" + log;
    }
}
