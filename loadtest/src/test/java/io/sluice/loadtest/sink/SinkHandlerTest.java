package io.sluice.loadtest.sink;

import static io.sluice.loadtest.sink.Transcript.ascii;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class SinkHandlerTest {

    private static final String GREETING = "220 sink.test ESMTP Sluice sink\r\n";
    private static final String EHLO_REPLY = "250-sink.test\r\n"
            + "250-PIPELINING\r\n"
            + "250-SIZE 0\r\n"
            + "250-8BITMIME\r\n"
            + "250-ENHANCEDSTATUSCODES\r\n"
            + "250-XCLIENT NAME ADDR PORT PROTO HELO LOGIN DESTADDR DESTPORT\r\n"
            + "250 SMTPUTF8\r\n";

    /** Message content as the recipient sees it: lines with leading periods, bare CR and LF, a CRLF at the end. */
    private static final String CONTENT = "Subject: one\r\n"
            + "\r\n"
            + ".leading dot\r\n"
            + ".\nbare LF after a lone dot is no end\r\n"
            + "bare CR\r in a line, and .\r\n"
            + "..\r\n"
            + ".\r.\r\n"
            + "\r\n.\rx\r\n";

    private static final String SESSION = "EHLO client.example\r\n"
            + "MAIL FROM:<a@example.org> SIZE=123 BODY=8BITMIME\r\n"
            + "RCPT TO:<b@example.net>\r\n"
            + "rcpt to:<c@example.net>\r\n"
            + "DATA\r\n"
            + Transcript.dotStuff(CONTENT)
            + ".\r\n"
            + "NOOP\r\n"
            + "MAIL FROM:<>\r\n"
            + "RCPT TO:<d@example.net>\r\n"
            + "DATA\r\n"
            + ".\r\n"
            + "RSET\r\n"
            + "XCLIENT ADDR=192.0.2.1 NAME=[UNAVAILABLE]\r\n"
            + "HELO client.example\r\n"
            + "DATA\r\n"
            + "BOGUS\r\n"
            + "\r\n"
            + "NOOP\nQUIT\r\n"
            + "QUIT\r\n";

    private static final String SESSION_REPLIES = GREETING
            + EHLO_REPLY
            + "250 2.1.0 Ok\r\n"
            + "250 2.1.5 Ok\r\n"
            + "250 2.1.5 Ok\r\n"
            + "354 End data with <CR><LF>.<CR><LF>\r\n"
            + "250 2.0.0 Ok: queued as 000000000001\r\n"
            + "250 2.0.0 Ok\r\n"
            + "250 2.1.0 Ok\r\n"
            + "250 2.1.5 Ok\r\n"
            + "354 End data with <CR><LF>.<CR><LF>\r\n"
            + "250 2.0.0 Ok: queued as 000000000002\r\n"
            + "250 2.0.0 Ok\r\n"
            + GREETING
            + "250 sink.test\r\n"
            + "503 5.5.1 Error: need MAIL command\r\n"
            + "502 5.5.2 Error: command not recognized\r\n"
            + "500 5.5.2 Error: bad syntax\r\n"
            + "502 5.5.2 Error: command not recognized\r\n"
            + "221 2.0.0 Bye\r\n";

    @Test
    void answersAPipelinedSessionInOneRead() {
        Transcript.Result result = Transcript.feed(ascii(SESSION));

        assertThat(result.replies()).isEqualTo(SESSION_REPLIES);
        assertThat(result.open()).as("closed after QUIT").isFalse();
        assertThat(result.stats().messages()).isEqualTo(2);
        assertThat(result.stats().recipients()).isEqualTo(3);
        assertThat(result.stats().bodyBytes()).isEqualTo(CONTENT.length());
    }

    @Test
    void repliesAreTheSameWhereverTheInputIsSplit() {
        byte[] input = ascii(SESSION);
        for (int cut = 0; cut <= input.length; cut++) {
            Transcript.Result result = Transcript.feed(input, cut);
            assertThat(result.replies()).as("split at %d", cut).isEqualTo(SESSION_REPLIES);
            assertThat(result.stats().bodyBytes()).as("split at %d", cut).isEqualTo(CONTENT.length());
        }
    }

    @Test
    void repliesAreTheSameWhenTheInputArrivesByteByByte() {
        byte[] input = ascii(SESSION);
        List<byte[]> bytes = new ArrayList<>();
        for (byte b : input) {
            bytes.add(new byte[] {b});
        }
        Transcript.Result result = Transcript.feed(bytes);

        assertThat(result.replies()).isEqualTo(SESSION_REPLIES);
        assertThat(result.stats().messages()).isEqualTo(2);
        assertThat(result.stats().bodyBytes()).isEqualTo(CONTENT.length());
    }

    @Test
    void answersEachCommandOfALockStepClient() {
        // One command per read, as a client without PIPELINING sends them: each read gets its own reply.
        List<byte[]> reads = List.of(ascii("HELO c\r\n"), ascii("MAIL FROM:<a@b>\r\n"), ascii("RCPT TO:<c@d>\r\n"),
                ascii("DATA\r\n"), ascii("hello\r\n.\r\n"), ascii("QUIT\r\n"));
        Transcript.Result result = Transcript.feed(reads);

        assertThat(result.replies()).isEqualTo(GREETING
                + "250 sink.test\r\n"
                + "250 2.1.0 Ok\r\n"
                + "250 2.1.5 Ok\r\n"
                + "354 End data with <CR><LF>.<CR><LF>\r\n"
                + "250 2.0.0 Ok: queued as 000000000001\r\n"
                + "221 2.0.0 Bye\r\n");
        assertThat(result.stats().bodyBytes()).isEqualTo("hello\r\n".length());
    }

    @Test
    void ignoresInputAfterQuit() {
        Transcript.Result result = Transcript.feed(ascii("QUIT\r\nNOOP\r\nMAIL FROM:<a@b>\r\n"));

        assertThat(result.replies()).isEqualTo(GREETING + "221 2.0.0 Bye\r\n");
        assertThat(result.open()).isFalse();
    }

    @Test
    void rejectsAnOverlongCommandLineAndRecovers() {
        String longLine = "NOOP " + "x".repeat(SinkHandler.MAX_LINE * 3) + "\r\n";
        byte[] input = ascii(longLine + "NOOP\r\nQUIT\r\n");
        String expected = GREETING + "500 5.5.2 Error: line too long\r\n" + "250 2.0.0 Ok\r\n" + "221 2.0.0 Bye\r\n";

        assertThat(Transcript.feed(input).replies()).isEqualTo(expected);
        // The CRLF straddling two reads past the limit is still found.
        assertThat(Transcript.feed(input, longLine.length() - 1).replies()).isEqualTo(expected);
    }

    @Test
    void acceptsACommandLineOfExactlyTheLimit() {
        String line = "NOOP " + "x".repeat(SinkHandler.MAX_LINE - "NOOP \r\n".length()) + "\r\n";
        assertThat(line).hasSize(SinkHandler.MAX_LINE);

        assertThat(Transcript.feed(ascii(line + "QUIT\r\n")).replies())
                .isEqualTo(GREETING + "250 2.0.0 Ok\r\n" + "221 2.0.0 Bye\r\n");
    }

    @Test
    void streamsALargeMessageWithoutHoldingOnToItsBuffers() {
        byte[] chunk = new byte[64 * 1024];
        Arrays.fill(chunk, (byte) 'x');
        // A CRLF every 1000 octets, and one straddling every chunk boundary.
        for (int i = 998; i < chunk.length; i += 1000) {
            chunk[i] = '\r';
            chunk[i + 1] = '\n';
        }
        chunk[chunk.length - 1] = '\r';
        chunk[0] = '\n';
        int chunks = 160; // 10 MiB
        List<byte[]> reads = new ArrayList<>();
        reads.add(ascii("EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nfirst line"));
        for (int i = 0; i < chunks; i++) {
            reads.add(chunk);
        }
        reads.add(ascii("\n.\r\nQUIT\r\n"));

        Transcript.Result result = Transcript.feed(reads);

        assertThat(result.replies()).endsWith("354 End data with <CR><LF>.<CR><LF>\r\n"
                + "250 2.0.0 Ok: queued as 000000000001\r\n"
                + "221 2.0.0 Bye\r\n");
        assertThat(result.stats().bodyBytes()).isEqualTo("first line".length() + (long) chunks * chunk.length + 1);
        assertThat(result.inputs()).allSatisfy(buf -> assertThat(buf.refCnt()).isZero());
    }

    @Test
    void releasesEveryInputBuffer() {
        Transcript.Result result = Transcript.feed(ascii(SESSION), 10, 200, 201, 400);

        assertThat(result.inputs()).hasSize(5).extracting(ByteBuf::refCnt).containsOnly(0);
    }
}
