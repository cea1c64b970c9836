package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CidrUnionTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            nothing                              |                                        | 0          | 0
            one /8                               | 10.0.0.0/8                             | 16777216   | 0
            a /8 and a network inside it         | 10.0.0.0/8 10.1.0.0/16                 | 16777216   | 0
            two /9s touching                     | 10.0.0.0/9 10.128.0.0/9                | 16777216   | 0
            a host twice                         | 192.0.2.1 192.0.2.1/32                 | 1          | 0
            IPv4-mapped counts as IPv4           | ::ffff:10.0.0.0/104 10.0.0.0/8         | 16777216   | 0
            every IPv4 address                   | 0.0.0.0/0                              | 4294967296 | 0
            a /120 of IPv6                       | 2001:db8::/120                         | 0          | 256
            both families                        | 10.0.0.0/24 2001:db8::/120             | 256        | 256
            """)
    void countsEachAddressOnce(String what, String cidrs, long ipv4, long ipv6) {
        CidrUnion union = CidrUnion.of(parse(cidrs));

        assertThat(union.ipv4()).isEqualTo(BigInteger.valueOf(ipv4));
        assertThat(union.ipv6()).isEqualTo(BigInteger.valueOf(ipv6));
    }

    @Test
    void anIpv6NetworkNeverCountsTheIpv4MappedBlockWhichItNeverMatches() {
        // ::fffe:0:0/95 is ::fffe:0:0/96 and ::ffff:0:0/96; Cidr.contains matches a peer of the second as IPv4.
        Cidr acrossTheMappedBlock = Cidr.parse("::fffe:0:0/95");

        assertThat(acrossTheMappedBlock.contains(Addresses.literal("::ffff:10.0.0.1"))).isFalse();
        assertThat(CidrUnion.of(List.of(acrossTheMappedBlock)))
                .isEqualTo(new CidrUnion(BigInteger.ZERO, BigInteger.ONE.shiftLeft(32)));
        assertThat(CidrUnion.of(parse("::/1 8000::/1")).ipv6()).isEqualTo(CidrUnion.EVERY_IPV6);
        assertThat(CidrUnion.of(parse("::/1 8000::/1")).coversEveryAddress()).isTrue();
        assertThat(CidrUnion.of(parse("::/1 8000::/2")).coversEveryAddress()).isFalse();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            0                                       | 0
            255                                     | 255
            256                                     | 2^8
            16777217                                | 16777217
            158456325028528675187087900672          | 2^97
            158456325028528675187087900673          | more than 2^97
            """)
    void describesCountsAsAnOperatorReadsThem(String count, String text) {
        assertThat(CidrUnion.describe(new BigInteger(count))).isEqualTo(text);
    }

    private static List<Cidr> parse(String cidrs) {
        return cidrs == null ? List.of() : Arrays.stream(cidrs.split(" ")).map(Cidr::parse).toList();
    }
}
