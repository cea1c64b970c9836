package io.sluice.proxy.smtp;

import io.netty.buffer.ByteBuf;

/** Finding line ends the strict way: only CR LF ends a line (RFC 5321 §2.3.8). */
final class Crlf {

    private Crlf() {}

    /** Index of the CR of the first CRLF in {@code [from, to)}, or -1. */
    static int find(ByteBuf in, int from, int to) {
        int lf = from;
        while ((lf = in.indexOf(lf, to, (byte) '\n')) >= 0) {
            if (lf > from && in.getByte(lf - 1) == '\r') {
                return lf - 1;
            }
            lf++;
        }
        return -1;
    }
}
