package io.sluice.loadtest.load;

import io.sluice.loadtest.check.CheckHeader;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Builds the messages a run sends: a few headers including the {@link CheckHeader}, a blank line, and a body of
 * the size asked for, made of printable 78-octet lines. No line starts with a period, so the content needs no
 * dot-stuffing and goes out as it is built.
 */
final class MessageFactory {

    private static final int LINE = 78;
    /** Bodies are shared between messages of one size; beyond this many sizes they are built afresh. */
    private static final int MAX_CACHED_SIZES = 256;
    private static final byte[] END_OF_DATA = ".\r\n".getBytes(StandardCharsets.US_ASCII);

    private final String run;
    private final String senderDomain;
    private final boolean senderPerMessage;
    private final Map<Long, Body> bodies = new ConcurrentHashMap<>();

    /** A body and its hash. */
    private record Body(byte[] octets, byte[] sha256) {
    }

    /**
     * @param senderPerMessage each message from a sender of its own, as the messages a receiver defers come from
     *                         many senders; otherwise every message from one
     */
    MessageFactory(String run, String senderDomain, boolean senderPerMessage) {
        this.run = run;
        this.senderDomain = senderDomain;
        this.senderPerMessage = senderPerMessage;
    }

    /** The reverse path of message {@code seq}: the same for a message's every attempt. */
    String sender(int seq) {
        return "load-" + run + (senderPerMessage ? "-" + seq : "") + "@" + senderDomain;
    }

    /** The DATA content of message {@code seq}, with its terminating {@code .CRLF}, ready for the wire. */
    byte[] content(int seq, long bodySize, String recipient) {
        Body body = body(bodySize);
        String messageId = run + "." + seq;
        byte[] headers = ("Message-ID: <" + messageId + "@loadtest.sluice.test>\r\n"
                + "From: <" + sender(seq) + ">\r\n"
                + "To: <" + recipient + ">\r\n"
                + "Subject: Sluice load test " + messageId + "\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        byte[] check = new CheckHeader(run, seq, body.sha256()).line();
        byte[] wire = new byte[headers.length + check.length + 2 + body.octets().length + END_OF_DATA.length];
        int at = 0;
        System.arraycopy(headers, 0, wire, at, headers.length);
        at += headers.length;
        System.arraycopy(check, 0, wire, at, check.length);
        at += check.length;
        wire[at++] = '\r';
        wire[at++] = '\n';
        System.arraycopy(body.octets(), 0, wire, at, body.octets().length);
        at += body.octets().length;
        System.arraycopy(END_OF_DATA, 0, wire, at, END_OF_DATA.length);
        return wire;
    }

    private Body body(long size) {
        Body cached = bodies.get(size);
        if (cached != null) {
            return cached;
        }
        byte[] octets = bodyOctets((int) size);
        Body body = new Body(octets, sha256(octets));
        if (bodies.size() < MAX_CACHED_SIZES) {
            bodies.putIfAbsent(size, body);
        }
        return body;
    }

    /** {@code size} octets of CRLF-ended lines (at least one, so the content always ends with CRLF). */
    static byte[] bodyOctets(int size) {
        int n = Math.max(2, size);
        byte[] octets = new byte[n];
        int column = 0;
        int i = 0;
        while (i < n - 2) {
            if (column == LINE && i + 1 < n - 2) {
                octets[i++] = '\r';
                octets[i++] = '\n';
                column = 0;
            } else {
                octets[i] = (byte) ('a' + (i % 26));
                i++;
                column++;
            }
        }
        octets[n - 2] = '\r';
        octets[n - 1] = '\n';
        return octets;
    }

    static byte[] sha256(byte[] octets) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(octets);
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every JDK has SHA-256", e);
        }
    }
}
