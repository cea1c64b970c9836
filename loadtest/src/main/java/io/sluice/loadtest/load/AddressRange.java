package io.sluice.loadtest.load;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The host addresses of one network in CIDR notation ({@code 127.1.0.0/16}, {@code ::1/128}), handed out round
 * robin or at random: source addresses to bind (every address of 127.0.0.0/8 is local on Linux), or synthetic
 * client addresses for a PROXY header.
 */
public final class AddressRange {

    /** How the next address is picked. */
    public enum Pick { ROUND_ROBIN, RANDOM }

    private final String cidr;
    private final BigInteger first;
    private final long size;
    private final int length;
    private final Pick pick;
    private final AtomicLong next = new AtomicLong();

    private AddressRange(String cidr, BigInteger first, long size, int length, Pick pick) {
        this.cidr = cidr;
        this.first = first;
        this.size = size;
        this.length = length;
        this.pick = pick;
    }

    /**
     * Parses {@code ADDRESS/PREFIX} or a single address. Networks larger than a /31 (IPv4) or /127 (IPv6) leave out
     * their all-zeros and all-ones host addresses.
     */
    public static AddressRange parse(String text, Pick pick) {
        int slash = text.indexOf('/');
        String host = slash < 0 ? text : text.substring(0, slash);
        if (!host.matches("[0-9.]+|[0-9A-Fa-f:]+") || host.isEmpty()) {
            throw invalid(text);
        }
        InetAddress address;
        try {
            address = InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw invalid(text);
        }
        int bits = address.getAddress().length * 8;
        int prefix;
        try {
            prefix = slash < 0 ? bits : Integer.parseInt(text.substring(slash + 1));
        } catch (NumberFormatException e) {
            throw invalid(text);
        }
        if (prefix < 0 || prefix > bits) {
            throw invalid(text);
        }
        int hostBits = bits - prefix;
        BigInteger network = new BigInteger(1, address.getAddress()).shiftRight(hostBits).shiftLeft(hostBits);
        BigInteger count = BigInteger.ONE.shiftLeft(hostBits);
        BigInteger first = network;
        if (hostBits >= 2) {
            first = network.add(BigInteger.ONE);
            count = count.subtract(BigInteger.TWO);
        }
        long size = count.min(BigInteger.valueOf(Integer.MAX_VALUE)).longValueExact();
        return new AddressRange(text, first, size, bits / 8, pick);
    }

    /** The next address by this range's pick. */
    public InetAddress next() {
        long index = pick == Pick.RANDOM ? ThreadLocalRandom.current().nextLong(size)
                : Math.floorMod(next.getAndIncrement(), size);
        return at(index);
    }

    /** Host addresses in the range (capped at 2^31 - 1). */
    public long size() {
        return size;
    }

    InetAddress at(long index) {
        byte[] raw = first.add(BigInteger.valueOf(index)).toByteArray();
        byte[] bytes = new byte[length];
        int copy = Math.min(raw.length, length);
        System.arraycopy(raw, raw.length - copy, bytes, length - copy, copy);
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new AssertionError("fixed-length address", e);
        }
    }

    @Override
    public String toString() {
        return cidr;
    }

    private static IllegalArgumentException invalid(String text) {
        return new IllegalArgumentException("\"" + text
                + "\" (expected: an IP address or network in CIDR notation, e.g. 127.1.0.0/16 or ::1/128)");
    }
}
