package io.sluice.loadtest.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AddressRangeTest {

    @Test
    void handsOutHostAddressesRoundRobin() {
        AddressRange range = AddressRange.parse("127.1.0.0/16", AddressRange.Pick.ROUND_ROBIN);

        assertThat(range.size()).isEqualTo(65_534);
        assertThat(range.next().getHostAddress()).isEqualTo("127.1.0.1");
        assertThat(range.next().getHostAddress()).isEqualTo("127.1.0.2");
        assertThat(range.at(65_533).getHostAddress()).isEqualTo("127.1.255.254");
    }

    @Test
    void wrapsAround() {
        AddressRange range = AddressRange.parse("127.9.9.8/30", AddressRange.Pick.ROUND_ROBIN);

        assertThat(new String[] {range.next().getHostAddress(), range.next().getHostAddress(),
            range.next().getHostAddress()}).containsExactly("127.9.9.9", "127.9.9.10", "127.9.9.9");
    }

    @Test
    void picksAtRandomWithinTheRange() {
        AddressRange range = AddressRange.parse("127.2.0.0/24", AddressRange.Pick.RANDOM);
        Set<InetAddress> seen = new HashSet<>();
        for (int i = 0; i < 500; i++) {
            InetAddress address = range.next();
            assertThat(address.getHostAddress()).startsWith("127.2.0.").isNotIn("127.2.0.0", "127.2.0.255");
            seen.add(address);
        }
        assertThat(seen.size()).isGreaterThan(100);
    }

    @Test
    void takesSingleAddressesAndIpv6() {
        assertThat(AddressRange.parse("127.0.0.1", AddressRange.Pick.ROUND_ROBIN).next().getHostAddress())
                .isEqualTo("127.0.0.1");
        AddressRange v6 = AddressRange.parse("::1/128", AddressRange.Pick.ROUND_ROBIN);
        assertThat(v6.size()).isEqualTo(1);
        assertThat(v6.next().getHostAddress()).isEqualTo("0:0:0:0:0:0:0:1");
    }

    @Test
    void saysWhatIsWrong() {
        assertThatThrownBy(() -> AddressRange.parse("127.0.0.0/33", AddressRange.Pick.RANDOM))
                .hasMessage("\"127.0.0.0/33\" (expected: an IP address or network in CIDR notation, e.g. 127.1.0.0/16"
                        + " or ::1/128)");
        assertThatThrownBy(() -> AddressRange.parse("localhost/8", AddressRange.Pick.RANDOM))
                .hasMessageStartingWith("\"localhost/8\"");
    }
}
