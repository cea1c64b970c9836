package io.sluice.proxy.smtp;

import static io.sluice.proxy.smtp.FrameDriver.withoutRejectedContent;
import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import io.sluice.config.BareLineEndings;
import io.sluice.proxy.smtp.FrameDriver.Answer;
import io.sluice.proxy.smtp.FrameDriver.Content;
import io.sluice.proxy.smtp.FrameDriver.Early;
import io.sluice.proxy.smtp.FrameDriver.End;
import io.sluice.proxy.smtp.FrameDriver.Event;
import io.sluice.proxy.smtp.FrameDriver.Line;
import io.sluice.proxy.smtp.FrameDriver.TooLong;
import io.sluice.proxy.smtp.SmtpFrame.DataOutcome;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.FieldSource;
import org.junit.jupiter.params.provider.ValueSource;

class SmtpFrameDecoderTest {

    private static final String DATA = "DATA\r\n";
    private static final String QUIT = "QUIT\r\n";

    // Commands a smuggler wants the next hop to run as a second message.
    private static final String SMUGGLED = "MAIL FROM:<admin@example.org>\r\nRCPT TO:<victim@example.net>\r\n";

    // RFC 5321 §2.3.8 and the smuggling variants: each may end the data at a lenient next hop.
    static final List<String> BARE_ENDINGS_AROUND_A_DOT =
            List.of("\n.\n", "\n.\r\n", "\r.\r", "\r\r\n.\r\n", "\r\n.\n", "\r\n.\r", "\n.\r");

    @Test
    void pipelinedCommandsAndMessageAreFramedInOrder() {
        String message = "Subject: hi\r\n\r\nbody\r\n";
        List<Event> events = framed(FrameDriver.rejecting(),
                "EHLO client.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\n" + DATA
                        + message + ".\r\n" + QUIT);

        assertThat(events).containsExactly(
                new Line("EHLO client.example"), new Line("MAIL FROM:<a@example.org>"),
                new Line("RCPT TO:<b@example.net>"), new Line("DATA"),
                new Content(message), new End(DataOutcome.COMPLETE, message.length()), new Line("QUIT"));
    }

    @Test
    void waitsToBeAskedBeforeFramingTheNextCommand() {
        SmtpFrameDecoder decoder = new SmtpFrameDecoder(BareLineEndings.REJECT);
        EmbeddedChannel channel = new EmbeddedChannel(decoder);
        decoder.expectCommand();

        channel.writeInbound(Unpooled.copiedBuffer("NOOP\r\n" + DATA + ".\r\n" + QUIT, ISO_8859_1));
        assertThat(lines(channel)).containsExactly("NOOP");

        decoder.expectCommand();
        assertThat(lines(channel)).containsExactly("DATA");

        decoder.expectData(100);
        assertThat(channel.<Object>readInbound()).isEqualTo(new SmtpFrame.DataEnd(DataOutcome.COMPLETE, 0));
        assertThat(channel.<Object>readInbound()).as("nothing framed before the reply to the message").isNull();

        decoder.expectCommand();
        assertThat(lines(channel)).containsExactly("QUIT");
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    @Test
    void stopsReadingWhileTheClientLeavesItsRepliesUnread() {
        SmtpFrameDecoder decoder = new SmtpFrameDecoder(BareLineEndings.REJECT);
        EmbeddedChannel channel = new EmbeddedChannel(decoder);
        channel.config().setWriteBufferWaterMark(new WriteBufferWaterMark(8, 16));
        decoder.expectCommand();

        // Written, not flushed: replies still waiting for the client to read them.
        channel.write(Unpooled.wrappedBuffer(new byte[32]));
        assertThat(channel.config().isAutoRead()).isFalse();

        channel.flushOutbound();
        assertThat(channel.config().isAutoRead()).isTrue();
        assertThat(channel.finishAndReleaseAll()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"NOOP\nQUIT\r\n", "NOOP\rQUIT\r\n"})
    void onlyCrlfEndsACommandLine(String input) {
        assertThat(framed(FrameDriver.rejecting(), input))
                .containsExactly(new Line(input.substring(0, input.length() - 2)));
    }

    @Test
    void commandLineOf512OctetsIsFramed() {
        // RFC 5321 §4.5.3.1.4: 512 octets including CRLF.
        String longest = "a".repeat(510);

        assertThat(framed(FrameDriver.rejecting(), longest + "\r\nNOOP\r\n"))
                .containsExactly(new Line(longest), new Line("NOOP"));
    }

    @ParameterizedTest
    @ValueSource(ints = {511, 512, 1500})
    void longerCommandLineIsOneTooLongAndTheNextIsFramed(int length) {
        assertThat(framed(FrameDriver.rejecting(), "a".repeat(length) + "\r\nNOOP\r\n"))
                .containsExactly(new TooLong(), new Line("NOOP"));
    }

    @Test
    void bytesBeforeTheGreetingAreEarlyTalk() {
        assertThat(framed(FrameDriver.rejecting().beforeGreeting(), "EHLO impatient.example\r\nQUIT\r\n"))
                .containsExactly(new Early());
    }

    @Test
    void dotStuffedLinesAreHandedOverStillStuffed() {
        String message = "..foo\r\n...\r\n. \r\nnot.\r\n.\tx\r\n";

        assertThat(framed(FrameDriver.rejecting(), DATA + message + ".\r\n" + QUIT))
                .containsExactly(new Line("DATA"), new Content(message),
                        new End(DataOutcome.COMPLETE, message.length()), new Line("QUIT"));
    }

    @Test
    void emptyMessage() {
        assertThat(framed(FrameDriver.rejecting(), DATA + ".\r\n" + QUIT))
                .containsExactly(new Line("DATA"), new End(DataOutcome.COMPLETE, 0), new Line("QUIT"));
    }

    @Test
    void endOfDataSplitAcrossReadsIsFound() {
        assertThat(FrameDriver.rejecting().feed(DATA + "hello\r", "\n.", "\r", "\nQUIT\r\n"))
                .containsExactly(new Line("DATA"), new Content("hello\r\n"),
                        new End(DataOutcome.COMPLETE, 7), new Line("QUIT"));
    }

    @ParameterizedTest
    @FieldSource("BARE_ENDINGS_AROUND_A_DOT")
    void bareLineEndingsAreRejectedAndOnlyCrlfDotCrlfEndsTheData(String sequence) {
        String data = "Subject: a\r\n\r\nhello" + sequence + SMUGGLED + ".\r\n";
        int end = strictEndOfContent(data);

        assertThat(framed(FrameDriver.rejecting(), DATA + data + QUIT))
                .containsExactlyElementsOf(concat(
                        List.of(new Line("DATA"), new End(DataOutcome.BARE_LINE_ENDING, end)),
                        commandsAfter(data, end)));
    }

    @ParameterizedTest
    @FieldSource("BARE_ENDINGS_AROUND_A_DOT")
    void normalizedContentCanEndTheDataOnlyWhereTheClientDid(String sequence) {
        String data = "Subject: a\r\n\r\nhello" + sequence + SMUGGLED + ".\r\n";
        int end = strictEndOfContent(data);

        List<Event> events = framed(FrameDriver.normalizing(), DATA + data + QUIT);

        assertThat(events.get(0)).isEqualTo(new Line("DATA"));
        String content = ((Content) events.get(1)).octets();
        assertSafeForTheNextHop(content);
        assertThat(events.subList(2, events.size())).containsExactlyElementsOf(concat(
                List.of(new End(DataOutcome.COMPLETE, content.length())), commandsAfter(data, end)));
    }

    @Test
    void normalizingTurnsBareLineEndingsIntoCrlfAndStuffsWhatBecomesALineStart() {
        assertNormalized("a\n.\nb\r\n", "a\r\n..\r\nb\r\n");
        assertNormalized("a\n.\r\nb\r\n", "a\r\n..\r\nb\r\n");
        assertNormalized("a\r.\rb\r\n", "a\r\n..\r\nb\r\n");
        assertNormalized("a\n..\nb\r\n", "a\r\n...\r\nb\r\n");
        assertNormalized("a\r\r\n", "a\r\n\r\n");
        assertNormalized("\n\n\r\n", "\r\n\r\n\r\n");
        // A lone stuffed dot unstuffs to an empty line; kept, it would be "CRLF . CRLF" at the next hop.
        assertNormalized("a\r\n.\nb\r\n", "a\r\n\r\nb\r\n");
        assertNormalized("a\r\n.\rb\r\n", "a\r\n\r\nb\r\n");
        assertNormalized(".\nb\r\n", "\r\nb\r\n");
        assertNormalized("a\r\n..\nb\r\n", "a\r\n..\r\nb\r\n");
    }

    @Test
    void textLineOf1000OctetsIsComplete() {
        // RFC 5321 §4.5.3.1.6: 1000 octets including CRLF.
        assertOutcome(FrameDriver.rejecting(), "x".repeat(998) + "\r\n", DataOutcome.COMPLETE);
    }

    @Test
    void textLineOf1001OctetsIsTooLong() {
        assertOutcome(FrameDriver.rejecting(), "x".repeat(999) + "\r\n", DataOutcome.LINE_TOO_LONG);
    }

    @Test
    void lineFarLongerThanTheLimitIsTooLongAndTheEndOfDataAfterItIsStillFound() {
        assertOutcome(FrameDriver.rejecting(), "x".repeat(5_000) + "\r\nshort\r\n", DataOutcome.LINE_TOO_LONG);
        assertThat(framed(FrameDriver.normalizing(), DATA + "y".repeat(2_500) + "\r\n.\r\n" + QUIT))
                .as("the end of data after a long line").contains(new End(DataOutcome.LINE_TOO_LONG, 2_502))
                .last().isEqualTo(new Line("QUIT"));
    }

    @Test
    void stuffedDotDoesNotCountTowardsTheLineLength() {
        assertOutcome(FrameDriver.rejecting(), "." + "x".repeat(998) + "\r\n", DataOutcome.COMPLETE);
    }

    @Test
    void normalizedBareLineEndingStartsANewLine() {
        String twoLines = "x".repeat(998) + "\n" + "x".repeat(998) + "\r\n";

        assertOutcome(FrameDriver.normalizing(), twoLines, DataOutcome.COMPLETE);
        assertOutcome(FrameDriver.rejecting(), twoLines, DataOutcome.BARE_LINE_ENDING);
    }

    @Test
    void contentUpToTheSizeLimitIsComplete() {
        assertOutcome(FrameDriver.rejecting().withMaxMessageSize(10), "01234567\r\n", DataOutcome.COMPLETE);
    }

    @Test
    void contentOverTheSizeLimitIsTooBigAndTheNextCommandIsFramed() {
        String message = "012345678\r\n";

        assertThat(framed(FrameDriver.rejecting().withMaxMessageSize(10), DATA + message + ".\r\n" + QUIT))
                .containsExactly(new Line("DATA"), new End(DataOutcome.TOO_BIG, message.length()), new Line("QUIT"));
    }

    @ParameterizedTest
    @EnumSource(BareLineEndings.class)
    void failuresRankTheSameHoweverTheContentArrives(BareLineEndings bareLineEndings) {
        // Too big and a line too long: which one shows first depends on the reads, the verdict must not.
        String message = "y".repeat(1200) + "\r\n";

        assertOutcome(FrameDriver.of(bareLineEndings).withMaxMessageSize(100), message, DataOutcome.LINE_TOO_LONG);
    }

    @ParameterizedTest
    @EnumSource(Answer.class)
    void bytesPipelinedAfterStartTlsAreDiscarded(Answer answer) {
        // CVE-2011-0411: what came in clear with STARTTLS must not run as if it came through TLS.
        FrameDriver.Run run = FrameDriver.rejecting().answering(answer).start();

        run.write(bytes("NOOP\r\nSTARTTLS\r\n" + SMUGGLED));
        assertThat(run.events()).containsExactly(new Line("NOOP"), new Line("STARTTLS"));

        run.write(bytes("EHLO client.example\r\n"));
        assertThat(run.finish()).containsExactly(new Line("NOOP"), new Line("STARTTLS"), new Line("EHLO client.example"));
    }

    /**
     * Frames the input whole, then cut in two at every offset and a byte at a time, with the session
     * answering at once and later; all must agree. Returns the frames of the whole input.
     */
    static List<Event> framed(FrameDriver driver, String input) {
        byte[] bytes = bytes(input);
        List<Event> whole = driver.feed(List.of(bytes));
        for (Answer answer : Answer.values()) {
            for (List<byte[]> reads : FrameDriver.splits(bytes)) {
                assertThat(withoutRejectedContent(driver.answering(answer).feed(reads)))
                        .as("answering %s, %d reads, the first of %d octets", answer, reads.size(), reads.get(0).length)
                        .isEqualTo(withoutRejectedContent(whole));
            }
        }
        return withoutRejectedContent(whole);
    }

    private static void assertOutcome(FrameDriver driver, String message, DataOutcome outcome) {
        List<Event> events = framed(driver, DATA + message + ".\r\n" + QUIT);

        assertThat(events).last().isEqualTo(new Line("QUIT"));
        assertThat(events.get(events.size() - 2)).isInstanceOfSatisfying(End.class,
                end -> assertThat(end.outcome()).isEqualTo(outcome));
        if (outcome == DataOutcome.COMPLETE) {
            assertThat(events.get(1)).isInstanceOfSatisfying(Content.class,
                    content -> assertSafeForTheNextHop(content.octets()));
        }
    }

    private static void assertNormalized(String message, String expected) {
        assertThat(framed(FrameDriver.normalizing(), DATA + message + ".\r\n"))
                .as("normalizing %s", message.replace("\r", "<CR>").replace("\n", "<LF>"))
                .containsExactly(new Line("DATA"), new Content(expected), new End(DataOutcome.COMPLETE, expected.length()));
        assertSafeForTheNextHop(expected);
    }

    /**
     * What a strict next hop and a lenient one must agree on: only CRLF line endings, and no line that is a
     * lone dot, so that content + ".CRLF" has exactly one end of data, at its end.
     */
    static void assertSafeForTheNextHop(String content) {
        String sent = content + ".\r\n";
        assertThat(sent.replace("\r\n", "")).as("bare CR or LF in %s", content).doesNotContain("\r", "\n");
        assertThat(strictEndOfContent(sent)).as("end of data in %s", content).isEqualTo(content.length());
    }

    /** Where a strict receiver finds the end of data: the length of the content before the ".CRLF" line. */
    static int strictEndOfContent(String data) {
        int at = ("\r\n" + data).indexOf("\r\n.\r\n");
        assertThat(at).as("no end of data in %s", data).isNotNegative();
        return at;
    }

    private static List<Event> commandsAfter(String data, int endOfContent) {
        List<Event> lines = new ArrayList<>();
        for (String line : (data.substring(endOfContent + 3) + QUIT).split("\r\n")) {
            lines.add(new Line(line));
        }
        return lines;
    }

    private static List<String> lines(EmbeddedChannel channel) {
        List<String> lines = new ArrayList<>();
        for (Object frame; (frame = channel.readInbound()) != null; ) {
            lines.add(new String(((SmtpFrame.CommandLine) frame).line(), ISO_8859_1));
        }
        return lines;
    }

    private static List<Event> concat(List<Event> first, List<Event> second) {
        List<Event> all = new ArrayList<>(first);
        all.addAll(second);
        return all;
    }

    static byte[] bytes(String text) {
        return text.getBytes(ISO_8859_1);
    }
}
