package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HostPortTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            127.0.0.1:25          | 127.0.0.1    | 25
            0.0.0.0:65535         | 0.0.0.0      | 65535
            [::1]:25              | ::1          | 25
            [2001:db8::7]:2525    | 2001:db8::7  | 2525
            [::ffff:10.0.0.1]:1   | ::ffff:10.0.0.1 | 1
            mx.example:25         | mx.example   | 25
            localhost:1           | localhost    | 1
            MX-1.Example.NET:587  | MX-1.Example.NET | 587
            """)
    void parsesHostAndPort(String text, String host, int port) {
        HostPort parsed = HostPort.parse(text);

        assertThat(parsed).isEqualTo(new HostPort(host, port));
        assertThat(parsed.toString()).isEqualTo(text);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            0.0.0.0:99999      | port 1-65535
            127.0.0.1:0        | port 1-65535
            127.0.0.1:         | port 1-65535
            127.0.0.1:25a      | port 1-65535
            127.0.0.1:+25      | port 1-65535
            127.0.0.1          | host:port, such as 127.0.0.1:25, [::1]:25 or mx.example:25
            [::1]              | host:port, such as 127.0.0.1:25, [::1]:25 or mx.example:25
            [::1]25            | host:port, such as 127.0.0.1:25, [::1]:25 or mx.example:25
            ::1:25             | an IPv6 address in brackets, as in [::1]:25
            [1.2.3.4]:25       | an IPv6 address between the brackets
            [fe80::1%eth0]:25  | an IPv6 address between the brackets
            :25                | a host before the port; 0.0.0.0 means every interface
            256.0.0.1:25       | an IPv4 address of four numbers 0-255
            10.0.0:25          | an IPv4 address of four numbers 0-255
            010.0.0.1:25       | an IPv4 address of four numbers 0-255
            mx_1.example:25    | a host name of letters, digits and '-', separated by '.'
            -mx.example:25     | a host name of letters, digits and '-', separated by '.'
            mx..example:25     | a host name of letters, digits and '-', separated by '.'
            """)
    void rejectsWithAClearMessage(String text, String expected) {
        assertThatThrownBy(() -> HostPort.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("\"" + text + "\" (expected: " + expected + ")");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            bad host | 25
            ''       | 25
            [::1]    | 25
            ::1      | -1
            ::1      | 65536
            """)
    void constructorRejectsWhatParseWould(String host, int port) {
        assertThatThrownBy(() -> new HostPort(host, port)).isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            127.0.0.1 | 127.0.0.1
            ::1       | 0:0:0:0:0:0:0:1
            """)
    void literalsBecomeResolvedSocketAddresses(String host, String address) throws Exception {
        InetSocketAddress socketAddress = new HostPort(host, 2525).toSocketAddress();

        assertThat(socketAddress.isUnresolved()).isFalse();
        assertThat(socketAddress.getAddress()).isEqualTo(InetAddress.getByName(address));
        assertThat(socketAddress.getPort()).isEqualTo(2525);
    }
}
