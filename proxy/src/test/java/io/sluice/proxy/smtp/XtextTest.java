package io.sluice.proxy.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class XtextTest {

    @Test
    void printableAsciiButPlusAndEqualsIsKept() {
        assertThat(Xtext.encode("[192.0.2.1]:ESMTP~!")).isEqualTo("[192.0.2.1]:ESMTP~!");
    }

    @Test
    void plusEqualsSpaceAndControlsAreHexEncoded() {
        // RFC 3461 §4: "+" followed by two upper-case hex digits.
        assertThat(Xtext.encode("a+b=c d\t")).isEqualTo("a+2Bb+3Dc+20d+09");
    }

    @Test
    void nonAsciiIsEncodedByteByByteAsUtf8() {
        assertThat(Xtext.encode("h\u00e9lo")).isEqualTo("h+C3+A9lo");
    }

    @Test
    void emptyStaysEmpty() {
        assertThat(Xtext.encode("")).isEmpty();
    }
}
