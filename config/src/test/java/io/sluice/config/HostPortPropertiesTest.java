package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Collectors;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

// Kept apart from HostPortTest: Surefire writes one report per class and engine, and the last engine's wins.
class HostPortPropertiesTest {

    @Property
    void constructorAcceptsEveryPortForTests(@ForAll @IntRange(min = 0, max = 65535) int port) {
        assertThat(new HostPort("127.0.0.1", port).port()).isEqualTo(port);
    }

    @Property
    void toStringRoundTripsThroughParse(@ForAll("hosts") String host,
                                        @ForAll @IntRange(min = 1, max = 65535) int port) {
        HostPort hostPort = new HostPort(host, port);

        HostPort parsed = HostPort.parse(hostPort.toString());

        assertThat(parsed).isEqualTo(hostPort);
        assertThat(parsed.toString()).isEqualTo(hostPort.toString());
    }

    @Provide
    Arbitrary<String> hosts() {
        return Arbitraries.oneOf(ipv4(), ipv6(), compressedIpv6(), hostNames());
    }

    static Arbitrary<String> ipv4() {
        return Arbitraries.integers().between(0, 255).list().ofSize(4)
                .map(parts -> parts.stream().map(String::valueOf).collect(Collectors.joining(".")));
    }

    private static Arbitrary<List<String>> groups() {
        return Arbitraries.integers().between(0, 0xffff).map(Integer::toHexString).list().ofSize(8);
    }

    static Arbitrary<String> ipv6() {
        return groups().map(groups -> String.join(":", groups));
    }

    /** IPv6 with a run of groups replaced by "::", as RFC 4291 §2.2 allows. */
    static Arbitrary<String> compressedIpv6() {
        return Combinators.combine(groups(), Arbitraries.integers().between(0, 7), Arbitraries.integers().between(1, 8))
                .filter((groups, start, length) -> start + length <= 8)
                .as((groups, start, length) -> String.join(":", groups.subList(0, start)) + "::"
                        + String.join(":", groups.subList(start + length, 8)));
    }

    static Arbitrary<String> hostNames() {
        Arbitrary<String> label = Arbitraries.strings().withChars("abcdefghijklmnopqrstuvwxyz0123456789-")
                .ofMinLength(1).ofMaxLength(20)
                .filter(l -> !l.startsWith("-") && !l.endsWith("-"));
        // A last label starting with a letter keeps names like 1.2.3.4 from being read as addresses.
        Arbitrary<String> last = Combinators.combine(Arbitraries.chars().range('a', 'z'), label.injectNull(0.3))
                .as((first, rest) -> rest == null ? String.valueOf(first) : first + rest);
        return Combinators.combine(label.list().ofMaxSize(3), last)
                .as((labels, tld) -> labels.isEmpty() ? tld : String.join(".", labels) + "." + tld);
    }
}
