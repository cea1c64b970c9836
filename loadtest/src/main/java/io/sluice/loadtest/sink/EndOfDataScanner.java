package io.sluice.loadtest.sink;

import io.netty.buffer.ByteBuf;

/**
 * Finds the end of SMTP message data (the line {@code "."}, i.e. CRLF.CRLF) in a stream that arrives in
 * arbitrary pieces, and counts the message's bytes after dot-unstuffing, without keeping any of them.
 *
 * <p>RFC 5321 §4.1.1.4: data ends with a line holding only a period; only CRLF ends a line, so a bare CR or LF
 * next to the period does not end the data. RFC 5321 §4.5.2: a leading period is removed from any other line.
 * The CRLF before the terminating period belongs to the message.
 */
final class EndOfDataScanner {

    private static final byte CR = '\r';
    private static final byte LF = '\n';
    private static final byte DOT = '.';

    /** The terminator's last three octets ({@code ".\r\n"}); its leading CRLF ends the last line of content. */
    private static final int TERMINATOR_TAIL = 3;

    private static final int LINE_START = 0;
    private static final int IN_LINE = 1;
    private static final int CR_SEEN = 2;
    private static final int DOT_AT_START = 3;
    private static final int DOT_CR = 4;

    // Data starts right after the CRLF of the DATA command, so the first line may be the terminator.
    private int state = LINE_START;
    private long scannedBytes;
    private long removedDots;

    /**
     * Scans the readable bytes of {@code buf} without moving its reader index.
     *
     * @return the index just after the terminating {@code CRLF.CRLF}, or -1 if every readable byte is content
     */
    int scan(ByteBuf buf) {
        final int from = buf.readerIndex();
        final int to = buf.writerIndex();
        int i = from;
        int s = state;
        while (i < to) {
            if (s == IN_LINE) {
                // Most bytes are plain content: jump to the next CR.
                int cr = buf.indexOf(i, to, CR);
                if (cr < 0) {
                    i = to;
                    break;
                }
                i = cr + 1;
                s = CR_SEEN;
                continue;
            }
            byte b = buf.getByte(i++);
            switch (s) {
                case LINE_START:
                    if (b == DOT) {
                        removedDots++;
                        s = DOT_AT_START;
                    } else {
                        s = b == CR ? CR_SEEN : IN_LINE;
                    }
                    break;
                case CR_SEEN:
                    s = b == LF ? LINE_START : b == CR ? CR_SEEN : IN_LINE;
                    break;
                case DOT_AT_START:
                    s = b == CR ? DOT_CR : IN_LINE;
                    break;
                case DOT_CR:
                    if (b == LF) {
                        removedDots--; // that period was the terminator, not stuffing
                        scannedBytes += i - from;
                        state = LINE_START;
                        return i;
                    }
                    s = b == CR ? CR_SEEN : IN_LINE;
                    break;
                default:
                    throw new IllegalStateException("state: " + s);
            }
        }
        state = s;
        scannedBytes += i - from;
        return -1;
    }

    /** The unstuffed length of the message whose end {@link #scan} just reported. */
    long bodyBytes() {
        return scannedBytes - removedDots - TERMINATOR_TAIL;
    }

    /** Prepares for the next message. */
    void reset() {
        state = LINE_START;
        scannedBytes = 0;
        removedDots = 0;
    }
}
