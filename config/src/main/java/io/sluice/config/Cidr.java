package io.sluice.config;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Objects;

/**
 * An IPv4 or IPv6 network in CIDR notation ({@code 10.0.0.0/8}, {@code ::1/128}), used to decide which peers are
 * trusted.
 *
 * @param network the network address, with every bit after the prefix zero; never an IPv4-mapped IPv6 address
 * @param prefixLength 0-32 for IPv4, 0-128 for IPv6
 */
public record Cidr(InetAddress network, int prefixLength) {

    private static final String FORMAT = "a CIDR such as 10.0.0.0/8 or fd00::/8, or a single address";
    // RFC 4291 §2.5.5.2: an IPv4-mapped address is the IPv4 address behind 96 fixed bits.
    private static final int MAPPED_PREFIX = 96;

    public Cidr {
        Objects.requireNonNull(network, "network");
        byte[] bytes = network.getAddress();
        if (bytes.length == 16 && Addresses.unmappedBytes(network).length == 4) {
            throw new IllegalArgumentException(
                    "network: " + network.getHostAddress() + " (expected: the IPv4 form of an IPv4-mapped address)");
        }
        int bits = bytes.length * 8;
        if (prefixLength < 0 || prefixLength > bits) {
            throw new IllegalArgumentException("prefixLength: " + prefixLength + " (expected: 0-" + bits + ")");
        }
        if (!masked(bytes, prefixLength).equals(network)) {
            throw new IllegalArgumentException("network: " + network.getHostAddress() + "/" + prefixLength
                    + " (expected: no host bits set, as in " + masked(bytes, prefixLength).getHostAddress() + "/"
                    + prefixLength + ")");
        }
    }

    /**
     * Parses {@code address/prefix}; a bare address means a single host (/32 or /128).
     *
     * @throws IllegalArgumentException naming the text and what was expected, such as
     *     {@code "10.0.0.1/8" (expected: no host bits set, as in 10.0.0.0/8)}
     */
    public static Cidr parse(String text) {
        Objects.requireNonNull(text, "text");
        int slash = text.indexOf('/');
        String addressText = slash < 0 ? text : text.substring(0, slash);
        InetAddress address = Addresses.literal(addressText);
        if (address == null) {
            throw Conversion.invalid(text, FORMAT);
        }
        boolean mapped = address instanceof Inet4Address && addressText.indexOf(':') >= 0;
        int bits = mapped ? 128 : address.getAddress().length * 8;
        int prefix = slash < 0 ? bits : parsePrefix(text, text.substring(slash + 1), bits);
        if (mapped) {
            // The JDK already turned ::ffff:a.b.c.d into a.b.c.d; shorten the prefix to match.
            if (prefix < MAPPED_PREFIX) {
                throw Conversion.invalid(text, "prefix 96-128 for an IPv4-mapped address");
            }
            prefix -= MAPPED_PREFIX;
        }
        InetAddress network = masked(address.getAddress(), prefix);
        if (!network.equals(address)) {
            throw Conversion.invalid(text, "no host bits set, as in " + network.getHostAddress() + "/" + prefix);
        }
        return new Cidr(network, prefix);
    }

    private static int parsePrefix(String text, String prefix, int bits) {
        if (prefix.isEmpty() || prefix.length() > 3 || !prefix.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw Conversion.invalid(text, "prefix length 0-" + bits);
        }
        int value = Integer.parseInt(prefix);
        if (value > bits) {
            throw Conversion.invalid(text, "prefix length 0-" + bits);
        }
        return value;
    }

    /**
     * Whether the address is in this network. IPv4 addresses never match an IPv6 network and vice versa, except that
     * an IPv4-mapped IPv6 address (as a dual-stack socket reports an IPv4 peer) counts as its IPv4 address.
     */
    public boolean contains(InetAddress address) {
        byte[] candidate = Addresses.unmappedBytes(address);
        byte[] bytes = network.getAddress();
        if (candidate.length != bytes.length) {
            return false;
        }
        int whole = prefixLength / 8;
        for (int i = 0; i < whole; i++) {
            if (candidate[i] != bytes[i]) {
                return false;
            }
        }
        int rest = prefixLength % 8;
        if (rest == 0) {
            return true;
        }
        int mask = 0xff << (8 - rest);
        return (candidate[whole] & mask) == (bytes[whole] & mask);
    }

    /** Returns the text {@link #parse(String)} reads back, such as {@code 10.0.0.0/8}. */
    @Override
    public String toString() {
        return network.getHostAddress() + "/" + prefixLength;
    }

    private static InetAddress masked(byte[] address, int prefixLength) {
        byte[] bytes = address.clone();
        for (int i = 0; i < bytes.length; i++) {
            int keep = Math.max(0, Math.min(8, prefixLength - i * 8));
            bytes[i] &= (byte) (0xff << (8 - keep));
        }
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new AssertionError("4 or 16 bytes are always an address", e);
        }
    }
}
