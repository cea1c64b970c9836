package io.sluice.proxy.smtp;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.sluice.config.BareLineEndings;
import io.sluice.proxy.NightlyTries;
import io.sluice.proxy.smtp.EmbeddedRelay.Answer;
import io.sluice.proxy.smtp.EmbeddedRelay.Outcome;
import io.sluice.proxy.smtp.EmbeddedRelay.Received;
import io.sluice.proxy.smtp.SessionMutations.Mutated;
import java.nio.ByteBuffer;
import java.nio.charset.CodingErrorAction;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.statistics.Statistics;

/**
 * Sessions fuzzed through the server side of the relay (framing, session, backend connection): valid sessions
 * from the grammar arrive intact however their bytes are split into reads, and sessions broken by splicing, byte
 * flips, truncation, NUL, invalid UTF-8, overlong lines, pipelined garbage and bare CR or LF are answered
 * command by command or closed with a reply, and never pass a bare line end or a smuggled command on.
 */
class MutatedSessionPropertiesTest {

    // RFC 3463 §2: class "." subject "." detail, the class being that of the reply code.
    private static final Pattern ENHANCED = Pattern.compile("^([245])\\.\\d{1,3}\\.\\d{1,3}( |$)");

    @Property(tries = 1000)
    @NightlyTries
    void validSessionsAreRelayedIntactHoweverTheBytesArrive(
            @ForAll("validSessions") ClientScript script,
            @ForAll @Size(max = 8) List<@IntRange(max = 100_000) Integer> cuts,
            @ForAll BareLineEndings bareLineEndings) {
        Outcome whole = EmbeddedRelay.run(bareLineEndings, script.reads(List.of()));
        Outcome split = EmbeddedRelay.run(bareLineEndings, script.reads(cuts));

        assertAnsweredAndSafe(whole);
        assertThat(whole.answers()).hasSize(script.answers())
                .allSatisfy(answer -> assertThat(answer.reply().isPositive()).as("%s", answer).isTrue());
        assertThat(whole.backends().stream().flatMap(backend -> backend.messages().stream()).toList())
                .isEqualTo(script.messages());
        assertThat(split.wire()).isEqualTo(whole.wire());
        assertThat(split.answers()).isEqualTo(whole.answers());
        assertThat(split.backends()).isEqualTo(whole.backends());
    }

    @Property(tries = 5000)
    @NightlyTries
    void brokenSessionsAreAnsweredOrClosedAndNothingUnsafeGoesOn(
            @ForAll("mutatedSessions") Mutated session,
            @ForAll @Size(max = 8) List<@IntRange(max = 100_000) Integer> cuts,
            @ForAll BareLineEndings bareLineEndings) {
        Outcome outcome = EmbeddedRelay.run(bareLineEndings, FrameDriver.cut(session.bytes(), cuts));

        assertAnsweredAndSafe(outcome);
        // The mutations must leave enough of a session to reach its end and its messages.
        Statistics.label("closed by the session").collect(outcome.closedBySession());
        Statistics.label("closed by the session").coverage(coverage -> coverage.check(true).percentage(p -> p >= 10));
        Statistics.label("a message delivered").collect(delivered(outcome) > 0);
        Statistics.label("a message delivered").coverage(coverage -> coverage.check(true).percentage(p -> p >= 3));
    }

    /**
     * The greeting and then exactly one well-formed reply per command, end of data or overlong line, with an
     * enhanced code where one belongs; a close only after a closing reply; at the backend only CRLF line ends,
     * command lines without control characters or malformed UTF-8, only the messages the client was told were
     * accepted, and no text line over 1000 octets.
     */
    private static void assertAnsweredAndSafe(Outcome outcome) {
        List<SmtpReply> sent = new ArrayList<>();
        sent.add(outcome.greeting());
        outcome.answers().forEach(answer -> sent.add(answer.reply()));
        assertThat(ReplyDriver.decode(List.of(outcome.wire()))).as("replies on the wire").isEqualTo(sent);
        assertThat(new String(outcome.wire(), ISO_8859_1)).endsWith("\r\n");
        assertThat(outcome.greeting().code()).isEqualTo(220);
        assertThat(outcome.unanswered()).as("a frame left without an answer").isNull();
        outcome.answers().forEach(MutatedSessionPropertiesTest::assertEnhancedCodes);
        if (outcome.closedBySession()) {
            // RFC 5321 §3.8, §4.1.1.10, §4.3.1: only these end a session.
            Answer last = outcome.answers().get(outcome.answers().size() - 1);
            assertThat(last.reply().code()).as("reply before the close: %s", last).isIn(221, 421, 554);
        }
        int stored = 0;
        for (Received backend : outcome.backends()) {
            assertThat(backend.octets().replace("\r\n", "")).as("bare CR or LF at the backend")
                    .doesNotContain("\r", "\n");
            assertThat(backend.commands()).allSatisfy(MutatedSessionPropertiesTest::assertCleanCommand);
            for (String message : backend.messages()) {
                for (String line : message.split("\r\n")) {
                    // RFC 5321 §4.5.3.1.6: 998 octets and CRLF; a stuffed dot is not part of the line.
                    assertThat(line.length() - (line.startsWith(".") ? 1 : 0)).isLessThanOrEqualTo(998);
                }
            }
            stored += backend.messages().size();
        }
        assertThat(stored).as("messages at the backend against 250s after the data").isEqualTo(delivered(outcome));
    }

    /** RFC 5321 §2.3.8, RFC 6531 §3.3: no control character, and UTF-8 only where it is well formed. */
    private static void assertCleanCommand(String command) {
        byte[] octets = command.getBytes(ISO_8859_1);
        for (byte b : octets) {
            assertThat(b >= 0 && b < 0x20 || b == 0x7f).as("control character in %s", command).isFalse();
        }
        assertThatCode(() -> UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(octets))).as("UTF-8 in %s", command).doesNotThrowAnyException();
    }

    private static void assertEnhancedCodes(Answer answer) {
        SmtpReply reply = answer.reply();
        boolean greetingOrHello = reply.isPositive() && List.of("EHLO", "HELO").contains(answer.frame());
        if (greetingOrHello || reply.code() / 100 == 3) {
            return;
        }
        for (String line : reply.lines()) {
            var matcher = ENHANCED.matcher(line);
            assertThat(matcher.find() && matcher.group(1).equals(String.valueOf(reply.code() / 100)))
                    .as("enhanced code in %s", answer).isTrue();
        }
    }

    private static long delivered(Outcome outcome) {
        return outcome.answers().stream()
                .filter(answer -> answer.frame().equals("<end of data>") && answer.reply().code() == 250).count();
    }

    @Provide
    Arbitrary<ClientScript> validSessions() {
        return ClientScripts.valid();
    }

    @Provide
    Arbitrary<Mutated> mutatedSessions() {
        return SessionMutations.mutated();
    }
}
