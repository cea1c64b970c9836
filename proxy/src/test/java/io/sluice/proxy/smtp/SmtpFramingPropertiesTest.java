package io.sluice.proxy.smtp;

import static io.sluice.proxy.smtp.FrameDriver.withoutRejectedContent;
import static io.sluice.proxy.smtp.SmtpFrameDecoderTest.assertSafeForTheNextHop;
import static io.sluice.proxy.smtp.SmtpFrameDecoderTest.bytes;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.config.BareLineEndings;
import io.sluice.proxy.NightlyTries;
import io.sluice.proxy.smtp.FrameDriver.Answer;
import io.sluice.proxy.smtp.FrameDriver.Content;
import io.sluice.proxy.smtp.FrameDriver.End;
import io.sluice.proxy.smtp.FrameDriver.Event;
import io.sluice.proxy.smtp.FrameDriver.Line;
import io.sluice.proxy.smtp.SmtpFrame.DataOutcome;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

class SmtpFramingPropertiesTest {

    @Property
    @NightlyTries
    void framingDoesNotDependOnHowTheBytesArrive(@ForAll("sessions") String session,
                                                 @ForAll @Size(max = 8) List<@IntRange(max = 100_000) Integer> cuts,
                                                 @ForAll BareLineEndings bareLineEndings,
                                                 @ForAll("sizeLimits") long maxMessageSize,
                                                 @ForAll Answer answer) {
        byte[] input = bytes(session);
        FrameDriver driver = FrameDriver.of(bareLineEndings).withMaxMessageSize(maxMessageSize);

        List<Event> whole = driver.feed(List.of(input));
        List<Event> cut = driver.answering(answer).feed(FrameDriver.cut(input, cuts));

        assertThat(withoutRejectedContent(cut)).isEqualTo(withoutRejectedContent(whole));
        assertDeliveredContentIsSafe(whole);
    }

    @Property
    @NightlyTries
    void dotStuffingRoundTrips(@ForAll("textLines") List<String> lines,
                               @ForAll @Size(max = 8) List<@IntRange(max = 100_000) Integer> cuts,
                               @ForAll BareLineEndings bareLineEndings) {
        StringBuilder stuffed = new StringBuilder();
        for (String line : lines) {
            // RFC 5321 §4.5.2: a line that starts with a dot gets one more.
            stuffed.append(line.startsWith(".") ? "." : "").append(line).append("\r\n");
        }
        byte[] input = bytes("DATA\r\n" + stuffed + ".\r\n");

        List<Event> events = FrameDriver.of(bareLineEndings).feed(FrameDriver.cut(input, cuts));

        String content = events.size() > 2 ? ((Content) events.get(1)).octets() : "";
        assertThat(events).startsWith(new Line("DATA"))
                .endsWith(new End(DataOutcome.COMPLETE, stuffed.length()));
        assertThat(content).isEqualTo(stuffed.toString());
        assertThat(unstuffed(content)).isEqualTo(lines);
    }

    /** Every message the decoder calls complete is fit to relay: CRLF only, and no line that ends it early. */
    private static void assertDeliveredContentIsSafe(List<Event> events) {
        for (int i = 0; i + 1 < events.size(); i++) {
            if (events.get(i) instanceof Content content
                    && events.get(i + 1) instanceof End end && end.outcome() == DataOutcome.COMPLETE) {
                assertSafeForTheNextHop(content.octets());
                assertThat(end.size()).isEqualTo(content.octets().length());
            }
        }
    }

    private static List<String> unstuffed(String content) {
        List<String> lines = new ArrayList<>();
        if (content.isEmpty()) {
            return lines;
        }
        for (String line : content.substring(0, content.length() - 2).split("\r\n", -1)) {
            lines.add(line.startsWith(".") ? line.substring(1) : line);
        }
        return lines;
    }

    @Provide
    Arbitrary<Long> sizeLimits() {
        return Arbitraries.of(Long.MAX_VALUE, 40L, 400L, 4000L);
    }

    /** Commands and messages as a pipelining client might send them, with the odd bare CR or LF. */
    @Provide
    Arbitrary<String> sessions() {
        Arbitrary<String> command = commandLines().map(line -> line + "\r\n");
        Arbitrary<String> message = messageLines().map(lines -> "DATA\r\n" + String.join("\r\n", lines) + "\r\n.\r\n");
        return Arbitraries.frequencyOf(Tuple.of(3, command), Tuple.of(2, message))
                .list().ofMaxSize(6)
                .map(items -> String.join("", items));
    }

    private Arbitrary<String> commandLines() {
        Arbitrary<String> printable = Arbitraries.strings().withCharRange(' ', '~').ofMaxLength(40);
        Arbitrary<String> nearTheLimit = Arbitraries.strings().withChars('x').ofMinLength(505).ofMaxLength(515);
        Arbitrary<String> bareEndings = Arbitraries.strings().withChars("ab.\r\n").ofMaxLength(8);
        return Arbitraries.frequencyOf(Tuple.of(6, printable), Tuple.of(1, nearTheLimit), Tuple.of(2, bareEndings))
                .filter(line -> !List.of("DATA", "STARTTLS").contains(line.toUpperCase(Locale.ROOT)));
    }

    /** Message lines, many starting with dots, some with bare CR or LF, some near 1000 octets. */
    private Arbitrary<List<String>> messageLines() {
        Arbitrary<String> text = Arbitraries.strings().withChars("ab .\t\u00e9\r\n").ofMaxLength(12);
        Arbitrary<String> dotted = Arbitraries.strings().withChars('.').ofMaxLength(2).flatMap(dots ->
                text.map(rest -> dots + rest));
        Arbitrary<String> long1000 = Arbitraries.strings().withChars('y').ofMinLength(995).ofMaxLength(1001);
        return Arbitraries.frequencyOf(Tuple.of(8, dotted), Tuple.of(1, long1000)).list().ofMaxSize(8);
    }

    /** Message lines as a client means them: no CR or LF, at most 998 octets, often starting with dots. */
    @Provide
    Arbitrary<List<String>> textLines() {
        Arbitrary<String> text = Arbitraries.strings().withChars("ab .:\t\u00e9\u00ff").ofMaxLength(20);
        Arbitrary<String> dotted = Arbitraries.strings().withChars('.').ofMaxLength(3).flatMap(dots ->
                text.map(rest -> dots + rest));
        Arbitrary<String> longest = Arbitraries.strings().withChars(".z").ofMinLength(990).ofMaxLength(998);
        return Arbitraries.frequencyOf(Tuple.of(12, dotted), Tuple.of(1, longest)).list().ofMaxSize(10);
    }
}
