package io.sluice.loadtest.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine.TypeConversionException;

class HostPortsTest {

    @ParameterizedTest
    @CsvSource({"127.0.0.1:2526, 127.0.0.1:2526", "[::1]:25, [0:0:0:0:0:0:0:1]:25", "127.0.0.2:0, 127.0.0.2:0"})
    void parsesAndFormats(String text, String formatted) {
        InetSocketAddress address = HostPorts.parse(text);

        assertThat(HostPorts.format(address)).isEqualTo(formatted);
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", ":25", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1", "::1:25", "[::1]25",
        "127.0.0.1:x"})
    void rejectsWithTheExpectedForm(String text) {
        assertThatThrownBy(() -> HostPorts.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("\"" + text + "\" (expected: HOST:PORT or [IPV6]:PORT with port 0-65535, e.g. 127.0.0.1:2526)");
    }

    @ParameterizedTest
    @CsvSource({"0, PT0S", "500ms, PT0.5S", "5s, PT5S", "2m, PT2M", "1h, PT1H"})
    void parsesDurations(String text, Duration expected) {
        assertThat(DurationConverter.parse(text)).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"5", "5x", "-1s", "1.5s", ""})
    void rejectsDurationsWithoutAUnit(String text) {
        assertThatThrownBy(() -> DurationConverter.parse(text)).isInstanceOf(TypeConversionException.class)
                .hasMessageContaining("expected: a number with a unit");
    }
}
