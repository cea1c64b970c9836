package io.sluice.proxy.smtp;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CommandParserTest {

    @Test
    void verbAndArgumentAreSplitAtTheFirstSpace() {
        SmtpCommand command = parse("MAIL FROM:<a@example.org> SIZE=10").orElseThrow();

        assertThat(command.verb()).isEqualTo(Verb.MAIL);
        assertThat(command.argument()).isEqualTo("FROM:<a@example.org> SIZE=10");
        assertThat(command.line()).isEqualTo("MAIL FROM:<a@example.org> SIZE=10");
        assertThat(command.hasArgument()).isTrue();
    }

    @Test
    void verbIsCaseInsensitive() {
        assertThat(parse("eHlO client.example").orElseThrow().verb()).isEqualTo(Verb.EHLO);
    }

    @Test
    void commandWithoutArgument() {
        SmtpCommand command = parse("DATA").orElseThrow();

        assertThat(command.verb()).isEqualTo(Verb.DATA);
        assertThat(command.hasArgument()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"XYZZY", "MAIL\tFROM:<a@example.org>", "UNKNOWN", "DATA\u0001"})
    void unrecognizedVerbIsUnknown(String line) {
        assertThat(parse(line).orElseThrow().verb()).isEqualTo(Verb.UNKNOWN);
    }

    @Test
    void argumentMayBeUtf8() {
        assertThat(parse("RCPT TO:<\u03b4@example.net>").orElseThrow().argument()).isEqualTo("TO:<\u03b4@example.net>");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " EHLO client.example", "NOOP\u0000", "NOOP\rQUIT", "NOOP\nQUIT", "\u00c9HLO x"})
    void malformedLinesAreRefused(String line) {
        assertThat(parse(line)).isEmpty();
    }

    @Test
    void invalidUtf8IsRefused() {
        assertThat(CommandParser.parse(new byte[] {'N', 'O', 'O', 'P', ' ', (byte) 0xc3, '('})).isEmpty();
        assertThat(CommandParser.parse(new byte[] {'N', 'O', 'O', 'P', ' ', (byte) 0xed, (byte) 0xa0, (byte) 0x80}))
                .as("an encoded surrogate").isEmpty();
    }

    private static Optional<SmtpCommand> parse(String line) {
        return CommandParser.parse(line.getBytes(UTF_8));
    }
}
