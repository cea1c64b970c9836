package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.LongRange;

// Kept apart from UnitsTest: Surefire writes one report per class and engine, and the last engine's wins.
class UnitsPropertiesTest {

    private static final Map<String, Long> SIZE_UNITS = Map.of("", 1L, "B", 1L, "KB", 1000L, "MB", 1000_000L,
            "GB", 1000_000_000L, "KiB", 1024L, "MiB", 1024L * 1024, "GiB", 1024L * 1024 * 1024);
    private static final Map<String, ChronoUnit> DURATION_UNITS = Map.of("ms", ChronoUnit.MILLIS,
            "s", ChronoUnit.SECONDS, "m", ChronoUnit.MINUTES, "h", ChronoUnit.HOURS, "d", ChronoUnit.DAYS);

    @Property
    void sizeParsingMultipliesByTheUnit(@ForAll("sizeUnits") String unit, @ForAll @LongRange(min = 0) long count) {
        BigInteger expected = BigInteger.valueOf(count).multiply(BigInteger.valueOf(SIZE_UNITS.get(unit)));

        if (expected.bitLength() < 64) {
            assertThat(Units.parseSize(count + unit)).isEqualTo(expected.longValueExact());
        } else {
            assertThatThrownBy(() -> Units.parseSize(count + unit)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Property
    void sizesRoundTrip(@ForAll @LongRange(min = 0) long bytes) {
        assertThat(Units.parseSize(Units.formatSize(bytes))).isEqualTo(bytes);
    }

    @Property
    void durationParsingUsesTheUnit(@ForAll("durationUnits") String unit,
                                    @ForAll @LongRange(min = 1, max = 1_000_000_000L) long count) {
        assertThat(Units.parseDuration(count + unit)).isEqualTo(Duration.of(count, DURATION_UNITS.get(unit)));
    }

    @Property
    void durationsRoundTrip(@ForAll @LongRange(min = 1, max = Long.MAX_VALUE / 1000) long millis) {
        Duration duration = Duration.ofMillis(millis);

        String text = Units.formatDuration(duration);

        assertThat(Units.parseDuration(text)).isEqualTo(duration);
        assertThat(text).doesNotStartWith("0");
    }

    @Provide
    Arbitrary<String> sizeUnits() {
        return Arbitraries.of(SIZE_UNITS.keySet());
    }

    @Provide
    Arbitrary<String> durationUnits() {
        return Arbitraries.of(DURATION_UNITS.keySet());
    }
}
