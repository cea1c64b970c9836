package io.sluice.loadtest.sink;

import io.netty.buffer.ByteBuf;
import io.sluice.loadtest.check.CheckHeader;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;

/**
 * Reads one message's data as it streams past, without keeping it: finds the {@link CheckHeader} among the
 * headers and hashes the body (after the blank line), with dot-stuffing removed and without the terminating
 * {@code .CRLF}, the way the generator hashed it.
 *
 * <p>RFC 5321 §4.5.2: a line's leading period is removed; the line holding only a period ends the data. Only CRLF
 * ends a line, as in {@link EndOfDataScanner}, which finds where the data ends; bytes fed here may run up to and
 * including that terminator.
 */
final class MessageChecker {

    /** Longest header line looked at; longer ones cannot be the check header and are skipped. */
    private static final int MAX_HEADER_LINE = 998;
    private static final byte[] NAME = (CheckHeader.NAME + ":").getBytes(StandardCharsets.US_ASCII);

    private static final int LINE_START = 0;
    private static final int IN_LINE = 1;
    /** A line that so far holds only its (removed) leading period. */
    private static final int DOT_ONLY = 2;
    /** That period and a CR, held back: with an LF it is the terminator, not content. */
    private static final int DOT_CR = 3;

    private final MessageDigest body = sha256();
    private final byte[] header = new byte[MAX_HEADER_LINE + 2];
    private int headerLength;
    private boolean inBody;
    private int state = LINE_START;
    private boolean lastWasCr;
    private boolean ended;
    private Optional<CheckHeader> check = Optional.empty();

    /** Feeds {@code buf}'s bytes from {@code from} (inclusive) to {@code to} (exclusive); reads no index. */
    void feed(ByteBuf buf, int from, int to) {
        int i = from;
        while (i < to && !ended) {
            byte b = buf.getByte(i);
            switch (state) {
                case LINE_START:
                    if (b == '.') {
                        state = DOT_ONLY;
                        i++;
                    } else {
                        state = IN_LINE;
                    }
                    break;
                case DOT_ONLY:
                    if (b == '\r') {
                        state = DOT_CR;
                        i++;
                    } else {
                        state = IN_LINE;
                    }
                    break;
                case DOT_CR:
                    if (b == '\n') {
                        ended = true; // the terminator: nothing of it is content
                        return;
                    }
                    content(buf, -1, 0);
                    state = IN_LINE;
                    break;
                default:
                    int lf = buf.indexOf(i, to, (byte) '\n');
                    int end = lf < 0 ? to : lf + 1;
                    boolean crlf = lf >= 0 && (lf > i ? buf.getByte(lf - 1) == '\r' : lastWasCr);
                    content(buf, i, end - i);
                    if (crlf) {
                        lineEnded();
                        state = LINE_START;
                    }
                    i = end;
                    break;
            }
        }
    }

    /** The check header, if the message had a valid one. */
    Optional<CheckHeader> check() {
        return check;
    }

    /** The hash of the body fed so far; call once, at the end of the message. */
    byte[] bodySha256() {
        return body.digest();
    }

    /** Prepares for the next message. */
    void reset() {
        body.reset();
        headerLength = 0;
        inBody = false;
        state = LINE_START;
        lastWasCr = false;
        ended = false;
        check = Optional.empty();
    }

    /** Content bytes; {@code index} -1 stands for the CR held back after a leading period. */
    private void content(ByteBuf buf, int index, int length) {
        if (index < 0) {
            lastWasCr = true;
            if (inBody) {
                body.update((byte) '\r');
            } else {
                appendHeader((byte) '\r');
            }
            return;
        }
        if (length == 0) {
            return;
        }
        lastWasCr = buf.getByte(index + length - 1) == '\r';
        if (inBody) {
            body.update(buf.nioBuffer(index, length));
        } else {
            for (int i = 0; i < length; i++) {
                appendHeader(buf.getByte(index + i));
            }
        }
    }

    private void appendHeader(byte b) {
        if (headerLength < header.length) {
            header[headerLength] = b;
        }
        headerLength++;
    }

    private void lineEnded() {
        if (inBody) {
            return;
        }
        if (headerLength == 2) {
            inBody = true; // the blank line between headers and body
        } else if (headerLength <= header.length && startsWithName()) {
            String value = new String(header, NAME.length, headerLength - NAME.length - 2, StandardCharsets.US_ASCII);
            check = CheckHeader.parseValue(value);
        }
        headerLength = 0;
    }

    private boolean startsWithName() {
        if (headerLength < NAME.length + 2) {
            return false;
        }
        for (int i = 0; i < NAME.length; i++) {
            byte b = header[i];
            byte n = NAME[i];
            if (b != n && Character.toLowerCase((char) b) != Character.toLowerCase((char) n)) {
                return false;
            }
        }
        return true;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every JDK has SHA-256", e);
        }
    }
}
