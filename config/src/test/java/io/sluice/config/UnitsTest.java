package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class UnitsTest {

    @ParameterizedTest
    @CsvSource(textBlock = """
            0,        0
            52428800, 52428800
            50MiB,    52428800
            50MB,     50000000
            1KB,      1000
            1KiB,     1024
            2GiB,     2147483648
            7B,       7
            """)
    void parsesSizes(String text, long bytes) {
        assertThat(Units.parseSize(text)).isEqualTo(bytes);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "MiB", "50 MiB", "50mib", "1.5MiB", "-1", "50TB", "9223372036854775808",
            "8589934592GiB"})
    void rejectsMalformedSizes(String text) {
        assertThatThrownBy(() -> Units.parseSize(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(Conversion.quote(text) + " (expected: a size");
    }

    @ParameterizedTest
    @CsvSource(textBlock = """
            500ms, PT0.5S
            10s,   PT10S
            5m,    PT5M
            1h,    PT1H
            2d,    PT48H
            """)
    void parsesDurations(String text, Duration duration) {
        assertThat(Units.parseDuration(text)).isEqualTo(duration);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "0s", "0ms", "10", "s", "1.5s", "-1s", "5 m", "5M", "1w", "99999999999999999999d"})
    void rejectsMalformedDurations(String text) {
        assertThatThrownBy(() -> Units.parseDuration(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(Conversion.quote(text) + " (expected: a ");
    }

    @ParameterizedTest
    @CsvSource(textBlock = """
            0s,    PT0S
            0ms,   PT0S
            00m,   PT0S
            2s,    PT2S
            500ms, PT0.5S
            """)
    void parsesDurationsThatMayBeZero(String text, Duration duration) {
        assertThat(Units.parseDurationOrZero(text)).isEqualTo(duration);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "0", "-1s", "-0s", "0 s", "1w", "99999999999999999999d"})
    void rejectsMalformedDurationsThatMayBeZero(String text) {
        assertThatThrownBy(() -> Units.parseDurationOrZero(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(Conversion.quote(text) + " (expected: a duration such as 0s, 500ms, 10s, 5m, 1h or 2d)");
    }
}
