package io.sluice.proxy.egress.tls;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.AlphaChars;
import net.jqwik.api.constraints.NumericChars;
import net.jqwik.api.constraints.StringLength;

/** The one matching rule behind MTA-STS {@code mx} patterns and certificates' names (MTA-STS and DANE-TA alike). */
class HostNamesPropertiesTest {

    @Property
    void aWildcardStandsForExactlyOneLeftmostLabel(@ForAll @AlphaChars @NumericChars @StringLength(min = 1, max = 20)
                                                   String first,
                                                   @ForAll @AlphaChars @StringLength(min = 1, max = 20) String second) {
        String label = first.toLowerCase();
        String deeper = second.toLowerCase();

        assertThat(HostNames.matches("*.example.test", label + ".example.test")).isTrue();
        assertThat(HostNames.matches("*.example.test", deeper + "." + label + ".example.test")).isFalse();
        assertThat(HostNames.matches("*.example.test", "example.test")).isFalse();
        assertThat(HostNames.matches("*.example.test", label + "example.test")).isFalse();
        assertThat(HostNames.matches(label + "*.example.test", label + "x.example.test")).isFalse();
    }

    @Property
    void caseAndAFinalDotDoNotCount(@ForAll @AlphaChars @StringLength(min = 1, max = 20) String label) {
        String host = label + ".Example.TEST";

        assertThat(HostNames.matches(host.toLowerCase() + ".", host.toUpperCase())).isTrue();
        assertThat(HostNames.matches("*.EXAMPLE.test.", host)).isTrue();
        assertThat(HostNames.matches(host, host + "x")).isFalse();
    }

    @Property
    void aWildcardOverATopLevelDomainOrNothingNamesNoHost(@ForAll @AlphaChars @StringLength(min = 1, max = 20)
                                                          String label) {
        String host = label.toLowerCase() + ".test";

        assertThat(HostNames.matches("*.test", host)).isFalse();
        assertThat(HostNames.matches("*.", host)).isFalse();
        assertThat(HostNames.matches("*", host)).isFalse();
        assertThat(HostNames.matches("", "")).isFalse();
        assertThat(HostNames.isPattern("*.test")).isFalse();
        assertThat(HostNames.isPattern("*." + host)).isTrue();
    }
}
