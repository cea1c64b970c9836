package io.sluice.loadtest.sink;

import java.nio.charset.StandardCharsets;

/** A sink reply encoded once to its wire form, with what the connection does after sending it. */
final class Reply {

    /** What the connection does once the reply is queued. */
    enum Effect {
        NONE,
        /** Bytes after the command line are message content until CRLF.CRLF. */
        START_DATA,
        /** Nothing more is read; the connection closes once the reply is written. */
        CLOSE,
        /** Nothing is written: the connection closes at once (a fault). */
        DISCONNECT
    }

    private final byte[] wire;
    private final Effect effect;

    private Reply(byte[] wire, Effect effect) {
        this.wire = wire;
        this.effect = effect;
    }

    /** A reply of one or more lines; every line but the last gets the continuation hyphen (RFC 5321 §4.2.1). */
    static Reply of(int code, Effect effect, String... lines) {
        if (code < 200 || code > 599) {
            throw new IllegalArgumentException("code: " + code + " (expected: 200-599)");
        }
        if (lines.length == 0) {
            throw new IllegalArgumentException("lines: empty (expected: at least one)");
        }
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < lines.length; i++) {
            text.append(code).append(i == lines.length - 1 ? ' ' : '-').append(lines[i]).append("\r\n");
        }
        return new Reply(text.toString().getBytes(StandardCharsets.US_ASCII), effect);
    }

    static Reply of(int code, String line) {
        return of(code, Effect.NONE, line);
    }

    byte[] wire() {
        return wire;
    }

    Effect effect() {
        return effect;
    }

    @Override
    public String toString() {
        return new String(wire, StandardCharsets.US_ASCII).trim();
    }
}
