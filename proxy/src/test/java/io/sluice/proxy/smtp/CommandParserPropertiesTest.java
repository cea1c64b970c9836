package io.sluice.proxy.smtp;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Locale;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

class CommandParserPropertiesTest {

    @Property(tries = 3000)
    void neverThrowsOnArbitraryBytes(@ForAll @Size(max = 64) byte[] line) {
        Optional<SmtpCommand> command = CommandParser.parse(line);

        command.ifPresent(parsed -> {
            assertThat(parsed.line().getBytes(UTF_8)).as("the line is what came in").isEqualTo(line);
            assertThat(parsed.line()).doesNotContain("\r", "\n", "\u0000");
            assertThat(parsed.verb()).isNotNull();
        });
    }

    @Property
    void everyKnownVerbIsRecognizedWithItsArgument(@ForAll("verbs") Verb verb, @ForAll("casings") boolean upper,
                                                   @ForAll("arguments") String argument) {
        String token = upper ? verb.name() : verb.name().toLowerCase(Locale.ROOT);
        String line = argument.isEmpty() ? token : token + " " + argument;

        SmtpCommand command = CommandParser.parse(line.getBytes(UTF_8)).orElseThrow();

        assertThat(command.verb()).isEqualTo(verb);
        assertThat(command.argument()).isEqualTo(argument);
    }

    @Provide
    Arbitrary<Verb> verbs() {
        return Arbitraries.of(Verb.class).filter(verb -> verb != Verb.UNKNOWN);
    }

    @Provide
    Arbitrary<Boolean> casings() {
        return Arbitraries.of(true, false);
    }

    @Provide
    Arbitrary<String> arguments() {
        return Combinators.combine(Arbitraries.strings().withCharRange(' ', '~').ofMaxLength(30),
                Arbitraries.strings().withChars("\u00e9\u20ac\u03b4").ofMaxLength(3)).as(String::concat);
    }
}
