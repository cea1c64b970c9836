package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CidrTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            10.0.0.0/8          | 10.0.0.0        | 8
            0.0.0.0/0           | 0.0.0.0         | 0
            192.0.2.7           | 192.0.2.7       | 32
            ::1/128             | ::1             | 128
            ::1                 | ::1             | 128
            fd00::/8            | fd00::          | 8
            ::/0                | ::              | 0
            ::ffff:10.0.0.0/104 | 10.0.0.0        | 8
            ::ffff:10.1.2.3     | 10.1.2.3        | 32
            """)
    void parsesNetworks(String text, String network, int prefixLength) throws UnknownHostException {
        Cidr cidr = Cidr.parse(text);

        assertThat(cidr.network()).isEqualTo(InetAddress.getByName(network));
        assertThat(cidr.prefixLength()).isEqualTo(prefixLength);
        assertThat(Cidr.parse(cidr.toString())).isEqualTo(cidr);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            10.0.0.1/8          | no host bits set, as in 10.0.0.0/8
            fd00::1/8           | no host bits set, as in fd00:0:0:0:0:0:0:0/8
            10.0.0.0/33         | prefix length 0-32
            ::/129              | prefix length 0-128
            10.0.0.0/           | prefix length 0-32
            10.0.0.0/-1         | prefix length 0-32
            ::ffff:10.0.0.0/95  | prefix 96-128 for an IPv4-mapped address
            10.0.0/8            | a CIDR such as 10.0.0.0/8 or fd00::/8, or a single address
            example.com/8       | a CIDR such as 10.0.0.0/8 or fd00::/8, or a single address
            ''                  | a CIDR such as 10.0.0.0/8 or fd00::/8, or a single address
            """)
    void rejectsWithAClearMessage(String text, String expected) {
        assertThatThrownBy(() -> Cidr.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("\"" + text + "\" (expected: " + expected + ")");
    }

    @Test
    void constructorRejectsHostBitsAndMappedNetworks() throws UnknownHostException {
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xff;
        mapped[11] = (byte) 0xff;

        assertThatThrownBy(() -> new Cidr(InetAddress.getByName("10.0.0.1"), 8))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Cidr(Inet6Address.getByAddress(null, mapped, -1), 96))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void familiesDoNotMixExceptForMappedAddresses() throws UnknownHostException {
        Cidr v4 = Cidr.parse("10.0.0.0/8");
        Cidr v4All = Cidr.parse("0.0.0.0/0");
        Cidr v6All = Cidr.parse("::/0");
        byte[] mappedBytes = new byte[16];
        mappedBytes[10] = (byte) 0xff;
        mappedBytes[11] = (byte) 0xff;
        mappedBytes[12] = 10;
        mappedBytes[15] = 1;
        // The JDK turns mapped addresses into Inet4Address; a socket layer may still hand one over as IPv6.
        InetAddress mapped = Inet6Address.getByAddress(null, mappedBytes, -1);

        assertThat(v4.contains(InetAddress.getByName("10.255.0.1"))).isTrue();
        assertThat(v4.contains(InetAddress.getByName("11.0.0.1"))).isFalse();
        assertThat(v4All.contains(InetAddress.getByName("::1"))).isFalse();
        assertThat(v6All.contains(InetAddress.getByName("127.0.0.1"))).isFalse();
        assertThat(v4.contains(mapped)).isTrue();
        assertThat(v6All.contains(mapped)).isFalse();
        assertThat(Cidr.parse("::ffff:10.0.0.0/104").contains(InetAddress.getByName("10.1.1.1"))).isTrue();
    }
}
