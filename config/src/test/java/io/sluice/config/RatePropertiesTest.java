package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.LongRange;

// Kept apart from RateTest: Surefire writes one report per class and engine, and the last engine's wins.
class RatePropertiesTest {

    @Property
    void toStringRoundTripsThroughParse(@ForAll @LongRange(min = 1) long tokens,
                                        @ForAll @LongRange(min = 1, max = Long.MAX_VALUE / 1000) long millis) {
        Rate rate = new Rate(tokens, Duration.ofMillis(millis));

        Rate parsed = Rate.parse(rate.toString());

        assertThat(parsed).isEqualTo(rate);
        assertThat(parsed.toString()).isEqualTo(rate.toString());
    }

    @Property
    void aBareUnitIsOneOfIt(@ForAll @LongRange(min = 1) long tokens, @ForAll("units") String unit) {
        assertThat(Rate.parse(tokens + "/" + unit)).isEqualTo(Rate.parse(tokens + "/1" + unit));
    }

    @Property
    void textWithoutASlashIsNotARate(@ForAll("withoutSlash") String text) {
        assertThatThrownBy(() -> Rate.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageEndingWith("(expected: a rate such as 500/1s or 30/1m)");
    }

    @Provide
    Arbitrary<String> units() {
        return Arbitraries.of("ms", "s", "m", "h", "d");
    }

    @Provide
    Arbitrary<String> withoutSlash() {
        return Arbitraries.strings().ofMaxLength(30).filter(text -> text.indexOf('/') < 0);
    }
}
