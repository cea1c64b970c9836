package io.sluice.proxy.smtp;

import io.netty.buffer.ByteBuf;

/** What {@link SmtpFrameDecoder} hands to the session: command lines, message content, or a framing verdict. */
public sealed interface SmtpFrame {

    /** A command line without its CRLF, at most 510 octets. */
    record CommandLine(byte[] line) implements SmtpFrame {}

    /** A command line longer than 512 octets including CRLF; its bytes were discarded. */
    record CommandTooLong() implements SmtpFrame {}

    /** The client sent bytes before the greeting (RFC 5321 §4.3.1: it must wait for it). */
    record EarlyTalk() implements SmtpFrame {}

    /**
     * A run of message content, still dot-stuffed, ending on a line boundary or mid-line; the
     * receiver owns the buffer and must release or forward it.
     */
    record DataContent(ByteBuf content) implements SmtpFrame {}

    /** The end-of-data line arrived; the outcome says whether the content was fit to deliver. */
    record DataEnd(DataOutcome outcome, long size) implements SmtpFrame {}

    /** Whether the message content, as framed, may be delivered; of several failures the first listed wins. */
    enum DataOutcome {
        COMPLETE,
        /** A CR or LF not part of a CRLF pair, with bare line endings set to reject. */
        BARE_LINE_ENDING,
        /** A text line over 1000 octets including CRLF (RFC 5321 §4.5.3.1.6). */
        LINE_TOO_LONG,
        /** More content than the advertised SIZE. */
        TOO_BIG
    }
}
