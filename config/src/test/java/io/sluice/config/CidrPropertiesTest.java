package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.statistics.StatisticsReport;

// Kept apart from CidrTest: Surefire writes one report per class and engine, and the last engine's wins.
class CidrPropertiesTest {

    @Property
    @StatisticsReport(onFailureOnly = true)
    void containsAgreesWithBitArithmetic(@ForAll("cidrs") Cidr cidr, @ForAll("addressesNear") byte[] seed) {
        InetAddress address = near(cidr, seed);
        boolean expected = referenceContains(cidr, address);

        assertThat(cidr.contains(address)).isEqualTo(expected);
        Statistics.label("contained").collect(expected);
        // Both answers must be tested often, or the property proves little.
        Statistics.label("contained").coverage(coverage -> {
            coverage.check(true).percentage(p -> p > 20);
            coverage.check(false).percentage(p -> p > 20);
        });
    }

    @Property
    void toStringRoundTripsThroughParse(@ForAll("cidrs") Cidr cidr) {
        assertThat(Cidr.parse(cidr.toString())).isEqualTo(cidr);
    }

    @Provide
    Arbitrary<Cidr> cidrs() {
        return Arbitraries.of(4, 16).flatMap(length -> Combinators.combine(
                Arbitraries.bytes().array(byte[].class).ofSize(length),
                Arbitraries.integers().between(0, length * 8)).as((bytes, prefix) -> {
                    BigInteger value = new BigInteger(1, bytes);
                    BigInteger mask = BigInteger.ONE.shiftLeft(length * 8).subtract(BigInteger.ONE)
                            .shiftRight(prefix).not();
                    InetAddress network = address(value.and(mask), length);
                    if (network.getAddress().length != length) {
                        // IPv4-mapped (bits 32-47 set, all above zero), which Cidr wants in IPv4 form: clear one.
                        network = address(value.and(mask).clearBit(40), length);
                    }
                    return new Cidr(network, prefix);
                }));
    }

    /** Random bytes, and a choice of which family and how many low bits to take from them (see {@link #near}). */
    @Provide
    Arbitrary<byte[]> addressesNear() {
        return Arbitraries.bytes().array(byte[].class).ofSize(18);
    }

    /**
     * Picks an address that often lands inside the network, by keeping the network's high bits: random addresses
     * almost never match a long prefix, so they would not test that side. Sometimes it is of the other family.
     */
    private static InetAddress near(Cidr cidr, byte[] seed) {
        int length = cidr.network().getAddress().length;
        if ((seed[16] & 0x7) == 0) {
            length = 20 - length;
        }
        BigInteger random = new BigInteger(1, Arrays.copyOf(seed, length));
        if (length != cidr.network().getAddress().length || (seed[17] & 1) == 0) {
            return address(random, length);
        }
        int bits = length * 8;
        int hostBits = Math.floorMod(seed[17], bits + 1);
        BigInteger low = BigInteger.ONE.shiftLeft(hostBits).subtract(BigInteger.ONE);
        BigInteger network = new BigInteger(1, cidr.network().getAddress());
        return address(network.andNot(low).or(random.and(low)), length);
    }

    private static boolean referenceContains(Cidr cidr, InetAddress address) {
        byte[] network = cidr.network().getAddress();
        byte[] candidate = address.getAddress();
        if (network.length != candidate.length) {
            return false;
        }
        int shift = network.length * 8 - cidr.prefixLength();
        return new BigInteger(1, network).shiftRight(shift).equals(new BigInteger(1, candidate).shiftRight(shift));
    }

    /** The address of that value, of {@code length} bytes; shared with {@link CidrUnionPropertiesTest}. */
    static InetAddress address(BigInteger value, int length) {
        byte[] raw = value.toByteArray();
        byte[] bytes = new byte[length];
        int copy = Math.min(raw.length, length);
        System.arraycopy(raw, raw.length - copy, bytes, length - copy, copy);
        try {
            // For 16 bytes that happen to be IPv4-mapped this is an Inet4Address, as a real peer address would be.
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
