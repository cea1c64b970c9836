package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.statistics.StatisticsReport;

// Kept apart from CidrUnionTest: Surefire writes one report per class and engine, and the last engine's wins.
class CidrUnionPropertiesTest {

    // A window of 2^11 addresses around the start of the IPv4-mapped block (RFC 4291 §2.5.5.2): its lower half is
    // IPv6, its upper half IPv4-mapped, which Cidr.contains matches as IPv4.
    private static final int WINDOW_BITS = 11;
    private static final BigInteger WINDOW_START =
            BigInteger.valueOf(0xffff).shiftLeft(32).subtract(BigInteger.ONE.shiftLeft(WINDOW_BITS - 1));

    @Property
    @StatisticsReport(onFailureOnly = true)
    void theUnionNeverExceedsTheSumOfItsParts(@ForAll("lists") List<Cidr> cidrs) {
        CidrUnion union = CidrUnion.of(cidrs);
        CidrUnion sum = sum(cidrs);

        assertThat(union.ipv4()).isLessThanOrEqualTo(sum.ipv4());
        assertThat(union.ipv6()).isLessThanOrEqualTo(sum.ipv6());
        // Overlaps must be common, or the property proves little.
        Statistics.label("overlap").collect(!union.equals(sum));
        Statistics.label("overlap").coverage(coverage -> coverage.check(true).percentage(p -> p > 15));
    }

    @Property
    void disjointNetworksAddUp(@ForAll("lists") List<Cidr> cidrs) {
        List<Cidr> disjoint = new ArrayList<>();
        for (Cidr cidr : cidrs) {
            if (disjoint.stream().noneMatch(other -> overlap(cidr, other))) {
                disjoint.add(cidr);
            }
        }

        assertThat(CidrUnion.of(disjoint)).isEqualTo(sum(disjoint));
    }

    @Property
    void orderAndDuplicatesChangeNothing(@ForAll("lists") List<Cidr> cidrs, @ForAll Random random) {
        List<Cidr> shuffled = new ArrayList<>(cidrs);
        shuffled.addAll(cidrs.subList(0, random.nextInt(cidrs.size() + 1)));
        Collections.shuffle(shuffled, random);

        assertThat(CidrUnion.of(shuffled)).isEqualTo(CidrUnion.of(cidrs));
    }

    @Property
    @StatisticsReport(onFailureOnly = true)
    void splittingANetworkIntoItsHalvesChangesNothing(@ForAll("lists") List<Cidr> cidrs, @ForAll Random random) {
        List<Cidr> split = new ArrayList<>(cidrs);
        int index = random.nextInt(cidrs.size());
        Optional<List<Cidr>> halves = halves(cidrs.get(index));
        halves.ifPresent(both -> {
            split.remove(index);
            split.addAll(index, both);
        });
        Statistics.label("split").collect(halves.isPresent());

        assertThat(CidrUnion.of(split)).isEqualTo(CidrUnion.of(cidrs));
    }

    /** Against the very matching a listener does: every address of a small window, asked of Cidr.contains. */
    @Property(tries = 300)
    void countsWhatContainsMatches(@ForAll("inWindow") List<Cidr> cidrs) {
        BigInteger ipv4 = BigInteger.ZERO;
        BigInteger ipv6 = BigInteger.ZERO;
        for (int i = 0; i < 1 << WINDOW_BITS; i++) {
            InetAddress peer = CidrPropertiesTest.address(WINDOW_START.add(BigInteger.valueOf(i)), 16);
            if (cidrs.stream().anyMatch(cidr -> cidr.contains(peer))) {
                if (peer instanceof Inet4Address) {
                    ipv4 = ipv4.add(BigInteger.ONE);
                } else {
                    ipv6 = ipv6.add(BigInteger.ONE);
                }
            }
        }

        assertThat(CidrUnion.of(cidrs)).isEqualTo(new CidrUnion(ipv4, ipv6));
    }

    /** Lists of networks that often overlap: few distinct leading bytes, and many short prefixes. */
    @Provide
    Arbitrary<List<Cidr>> lists() {
        Arbitrary<Cidr> cidr = Arbitraries.of(4, 16).flatMap(length -> Combinators.combine(
                Arbitraries.of(0x0a, 0x0b),
                Arbitraries.bytes().array(byte[].class).ofSize(length),
                Arbitraries.frequencyOf(
                        Tuple.of(2, Arbitraries.integers().between(0, length * 2)),
                        Tuple.of(1, Arbitraries.integers().between(0, length * 8))))
                .as((first, bytes, prefix) -> {
                    bytes[0] = (byte) (int) first;
                    return cidr(new BigInteger(1, bytes), length, prefix);
                }));
        return cidr.list().ofMinSize(1).ofMaxSize(8);
    }

    /** Lists of networks inside the window, at most half of it each, on both sides of the mapped block's start. */
    @Provide
    Arbitrary<List<Cidr>> inWindow() {
        Arbitrary<Cidr> cidr = Combinators.combine(
                Arbitraries.integers().between(0, (1 << WINDOW_BITS) - 1),
                Arbitraries.integers().between(128 - WINDOW_BITS + 1, 128))
                .as((offset, prefix) -> cidr(WINDOW_START.add(BigInteger.valueOf(offset)), 16, prefix));
        return cidr.list().ofMinSize(1).ofMaxSize(6);
    }

    private static CidrUnion sum(List<Cidr> cidrs) {
        return cidrs.stream().map(c -> CidrUnion.of(List.of(c)))
                .reduce(new CidrUnion(BigInteger.ZERO, BigInteger.ZERO),
                        (a, b) -> new CidrUnion(a.ipv4().add(b.ipv4()), a.ipv6().add(b.ipv6())));
    }

    private static boolean overlap(Cidr a, Cidr b) {
        return a.contains(b.network()) || b.contains(a.network());
    }

    /** The two networks one bit longer, unless one of them would be the IPv4-mapped block, which is not IPv6. */
    private static Optional<List<Cidr>> halves(Cidr cidr) {
        int length = cidr.network().getAddress().length;
        if (cidr.prefixLength() == length * 8) {
            return Optional.empty();
        }
        BigInteger network = new BigInteger(1, cidr.network().getAddress());
        int prefix = cidr.prefixLength() + 1;
        Cidr low = cidr(network, length, prefix);
        Cidr high = cidr(network.setBit(length * 8 - prefix), length, prefix);
        if (low.network().getAddress().length != length || high.network().getAddress().length != length) {
            return Optional.empty();
        }
        return Optional.of(List.of(low, high));
    }

    /** The network of that prefix holding the address, in IPv4 form where it is IPv4-mapped (as Cidr.parse does). */
    private static Cidr cidr(BigInteger value, int length, int prefix) {
        BigInteger mask = BigInteger.ONE.shiftLeft(length * 8).subtract(BigInteger.ONE).shiftRight(prefix).not();
        InetAddress network = CidrPropertiesTest.address(value.and(mask), length);
        if (network.getAddress().length != length) {
            return new Cidr(network, prefix - 96);
        }
        return new Cidr(network, prefix);
    }
}
