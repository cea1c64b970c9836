package io.sluice.proxy.egress.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.StringLength;

/** The policy parser (RFC 8461 §3.2) and the MX pattern match (§4.1), over generated policies and host names. */
class MtaStsPolicyPropertiesTest {

    @Provide
    Arbitrary<String> label() {
        return Arbitraries.strings().withChars("abcdefghijklmnopqrstuvwxyz0123456789").ofMinLength(1).ofMaxLength(12);
    }

    @Provide
    Arbitrary<String> host() {
        return label().list().ofMinSize(2).ofMaxSize(5).map(labels -> String.join(".", labels));
    }

    @Provide
    Arbitrary<MtaStsPolicy> policy() {
        Arbitrary<MtaStsPolicy.Mode> mode = Arbitraries.of(MtaStsPolicy.Mode.class);
        Arbitrary<String> pattern = Arbitraries.oneOf(host(), host().map(host -> "*." + host));
        Arbitrary<List<String>> mx = pattern.list().ofMinSize(1).ofMaxSize(5);
        Arbitrary<Long> maxAge = Arbitraries.longs().between(0, MtaStsPolicy.MAX_AGE_LIMIT);
        return Combinators.combine(mode, mx, maxAge)
                .as((m, patterns, age) -> new MtaStsPolicy(m, patterns, Duration.ofSeconds(age)));
    }

    @Property
    void aPolicyReadsBackAsWrittenWithAnyLineEndsSpacingAndUnknownFields(
            @ForAll("policy") MtaStsPolicy policy, @ForAll boolean crlf, @ForAll @IntRange(max = 3) int spaces,
            @ForAll boolean extension) throws Exception {
        String end = crlf ? "\r\n" : "\n";
        String pad = " ".repeat(spaces);
        StringBuilder text = new StringBuilder("version:" + pad + "STSv1" + pad + end);
        text.append("mode:").append(pad).append(policy.mode().text()).append(end);
        if (extension) {
            text.append("x_later_field: anything at all").append(end);
        }
        for (String pattern : policy.mx()) {
            text.append("mx:").append(pad).append(pattern.toUpperCase(Locale.ROOT)).append(pad).append(end);
        }
        text.append("max_age:").append(pad).append(policy.maxAge().toSeconds());

        assertThat(MtaStsPolicy.parse(text.toString())).isEqualTo(policy);
        assertThat(MtaStsPolicy.parse(policy.text())).isEqualTo(policy);
    }

    @Property
    void anyPolicyWithAFieldLeftOutOrRepeatedOrGarbledIsRefusedWithTheReason(
            @ForAll("policy") MtaStsPolicy policy, @ForAll @IntRange(min = 0, max = 5) int fault) {
        List<String> lines = new ArrayList<>(List.of(policy.text().split("\r\n")));
        String expected;
        switch (fault) {
            case 0 -> {
                lines.remove(0);
                expected = "version first";
            }
            case 1 -> {
                lines.removeIf(line -> line.startsWith("mode:"));
                expected = "no mode";
            }
            case 2 -> {
                lines.removeIf(line -> line.startsWith("max_age:"));
                expected = "no max_age";
            }
            case 3 -> {
                lines.add("mode: " + policy.mode().text());
                expected = "mode repeated";
            }
            case 4 -> {
                lines.removeIf(line -> line.startsWith("max_age:"));
                lines.add("max_age: " + (MtaStsPolicy.MAX_AGE_LIMIT + 1));
                expected = "max_age \"";
            }
            default -> {
                lines.add("mx: mx..example");
                expected = "mx \"mx..example\"";
            }
        }

        MtaStsPolicy.InvalidPolicyException e = catchThrowableOfType(MtaStsPolicy.InvalidPolicyException.class,
                () -> MtaStsPolicy.parse(String.join("\n", lines)));

        assertThat(e).isNotNull();
        assertThat(e.getMessage()).contains(expected);
    }

    @Property
    void arbitraryBytesNeverParseToAPolicyWithoutTheRequiredFields(@ForAll @StringLength(max = 300) String text) {
        try {
            MtaStsPolicy policy = MtaStsPolicy.parse(text);
            assertThat(text).startsWith("version:").contains("STSv1").contains("mode:").contains("max_age:");
            assertThat(policy.mode() == MtaStsPolicy.Mode.NONE || !policy.mx().isEmpty()).isTrue();
        } catch (MtaStsPolicy.InvalidPolicyException e) {
            assertThat(e.getMessage()).isNotBlank();
        }
    }

    @Property
    void aHostMatchesItsOwnNameInAnyCaseAndWithAFinalDot(@ForAll("host") String host, @ForAll boolean upper,
                                                          @ForAll boolean dot) {
        MtaStsPolicy policy = new MtaStsPolicy(MtaStsPolicy.Mode.ENFORCE, List.of(host), Duration.ofDays(1));
        String asked = (upper ? host.toUpperCase(Locale.ROOT) : host) + (dot ? "." : "");

        assertThat(policy.matches(asked)).isTrue();
        assertThat(policy.matches("x" + host)).isFalse();
        assertThat(policy.matches("a." + host)).isFalse();
    }

    @Property
    void aWildcardStandsForExactlyOneLeftmostLabel(@ForAll("host") String domain, @ForAll("label") String first,
                                                   @ForAll("label") String second) {
        MtaStsPolicy policy = new MtaStsPolicy(MtaStsPolicy.Mode.ENFORCE, List.of("*." + domain), Duration.ofDays(1));

        assertThat(policy.matches(first + "." + domain)).isTrue();
        assertThat(policy.matches(domain)).isFalse();
        assertThat(policy.matches(first + "." + second + "." + domain)).isFalse();
        assertThat(policy.matches(first + domain)).isFalse();
    }

    @Property
    void noPatternMatchesAHostItWasNotBuiltFor(@ForAll("host") String pattern, @ForAll("host") String host) {
        MtaStsPolicy policy = new MtaStsPolicy(MtaStsPolicy.Mode.ENFORCE, List.of(pattern), Duration.ofDays(1));

        assertThat(policy.matches(host)).isEqualTo(host.equals(pattern));
    }
}
