package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class RateTest {

    @ParameterizedTest
    @CsvSource(textBlock = """
            500/1s,   500, PT1S
            30/1m,    30,  PT1M
            500/s,    500, PT1S
            30/m,     30,  PT1M
            10/h,     10,  PT1H
            1/d,      1,   PT24H
            7/ms,     7,   PT0.001S
            1/500ms,  1,   PT0.5S
            100/90s,  100, PT90S
            """)
    void parsesRates(String text, long tokens, Duration period) {
        assertThat(Rate.parse(text)).isEqualTo(new Rate(tokens, period));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "500", "/1s", "500/", "0/1s", "-1/1s", "1.5/1s", "500/0s", "500/1", "500/1w",
            "500 / 1s", "500/S", "5e2/1s", "500/1s/1s", "99999999999999999999/1s", "500/99999999999999999999d"})
    void rejectsMalformedRates(String text) {
        assertThatThrownBy(() -> Rate.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(Conversion.quote(text) + " (expected: a rate such as 500/1s or 30/1m)");
    }

    @Test
    void toStringUsesTheLargestExactUnit() {
        assertThat(new Rate(500, Duration.ofSeconds(1))).hasToString("500/1s");
        assertThat(new Rate(30, Duration.ofSeconds(60))).hasToString("30/1m");
        assertThat(new Rate(1, Duration.ofMillis(1500))).hasToString("1/1500ms");
        // Finer than a millisecond cannot be written in the config, but must still print.
        assertThat(new Rate(1, Duration.ofNanos(1500))).hasToString("1/PT0.0000015S");
    }
}
