package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RuleReplyTest {

    @ParameterizedTest
    @ValueSource(strings = {"421 4.7.0 Too many connections from your IP, try later", "451 4.7.1 Busy",
            "452 4.5.3 Too many recipients", "554 5.7.1 No", "550 5.7.1 Tab\tseparated", "599 5.999.999 Odd but valid"})
    void toStringRoundTripsThroughParse(String text) {
        assertThat(RuleReply.parse(text)).hasToString(text);
    }

    @Test
    void parsesTheParts() {
        RuleReply reply = RuleReply.parse("421 4.7.0 Too many connections, try later");

        assertThat(reply).isEqualTo(new RuleReply(421, "4.7.0", "Too many connections, try later"));
        assertThat(reply.closesConnection()).isTrue();
        assertThat(RuleReply.parse("451 4.7.1 Busy").closesConnection()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "451", "451 4.7.1", "451 4.7.1Busy", "451 Busy", "451 4.7 Busy", "451 4.7.1.1 Busy",
            "451 4.1234.1 Busy", "45 4.7.1 Busy", "4511 4.7.1 Busy", " 451 4.7.1 Busy"})
    void rejectsMalformedReplies(String text) {
        assertThatThrownBy(() -> RuleReply.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(Conversion.quote(text) + " (expected: a reply such as 451 4.7.1 Try again later)");
    }

    @Test
    void rejectsCodesTextAndLengthsSmtpDoesNotAllow() {
        assertThatThrownBy(() -> RuleReply.parse("250 2.0.0 OK")).hasMessageContaining("a 4xx or 5xx reply code");
        assertThatThrownBy(() -> RuleReply.parse("354 5.0.0 Go")).hasMessageContaining("a 4xx or 5xx reply code");
        assertThatThrownBy(() -> RuleReply.parse("550 4.7.1 Busy"))
                .hasMessageContaining("an enhanced code of class 5 for a 5xx reply, such as 5.7.1");
        assertThatThrownBy(() -> RuleReply.parse("451 4.7.1 \r\n250 OK")).hasMessageContaining("printable US-ASCII");
        assertThatThrownBy(() -> RuleReply.parse("451 4.7.1 Grüße")).hasMessageContaining("printable US-ASCII");
        String longest = "451 4.7.1 " + "x".repeat(500);
        assertThat(RuleReply.parse(longest).text()).hasSize(500);
        assertThatThrownBy(() -> RuleReply.parse(longest + "x")).hasMessageContaining("at most 510 characters");
    }
}
