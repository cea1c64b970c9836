package io.sluice.loadtest.sink;

import java.nio.charset.StandardCharsets;

/** Every reply the sink sends, encoded once per server because some name the server's hostname. */
final class SinkReplies {

    static final Reply OK = Reply.of(250, "2.0.0 Ok");
    static final Reply SENDER_OK = Reply.of(250, "2.1.0 Ok");
    static final Reply RECIPIENT_OK = Reply.of(250, "2.1.5 Ok");
    static final Reply START_DATA = Reply.of(354, Reply.Effect.START_DATA, "End data with <CR><LF>.<CR><LF>");
    static final Reply BYE = Reply.of(221, Reply.Effect.CLOSE, "2.0.0 Bye");
    static final Reply EMPTY_LINE = Reply.of(500, "5.5.2 Error: bad syntax");
    static final Reply LINE_TOO_LONG = Reply.of(500, "5.5.2 Error: line too long");
    static final Reply UNRECOGNIZED = Reply.of(502, "5.5.2 Error: command not recognized");
    static final Reply HELO_SYNTAX = Reply.of(501, "5.5.4 Syntax: HELO hostname");
    static final Reply EHLO_SYNTAX = Reply.of(501, "5.5.4 Syntax: EHLO hostname");
    static final Reply MAIL_SYNTAX = Reply.of(501, "5.5.4 Syntax: MAIL FROM:<address>");
    static final Reply RCPT_SYNTAX = Reply.of(501, "5.5.4 Syntax: RCPT TO:<address>");
    static final Reply XCLIENT_SYNTAX = Reply.of(501, "5.5.4 Syntax: XCLIENT attribute=value...");
    static final Reply NO_ARGUMENTS = Reply.of(501, "5.5.4 Syntax: command takes no arguments");
    static final Reply NESTED_MAIL = Reply.of(503, "5.5.1 Error: nested MAIL command");
    static final Reply NEED_MAIL = Reply.of(503, "5.5.1 Error: need MAIL command");
    static final Reply NEED_RCPT = Reply.of(503, "5.5.1 Error: need RCPT command");
    /** Closes the connection without a reply; its text is never sent. */
    static final Reply DISCONNECT = Reply.of(421, Reply.Effect.DISCONNECT, "4.3.0 Fault injected: disconnect");
    static final Reply XCLIENT_IN_TRANSACTION = Reply.of(503, "5.5.1 Error: MAIL transaction in progress");

    /** Prefix of the reply to the end of data; the queue id and CRLF follow. */
    static final byte[] QUEUED_PREFIX = "250 2.0.0 Ok: queued as ".getBytes(StandardCharsets.US_ASCII);

    private final Reply greeting;
    private final Reply ehlo;
    private final Reply helo;

    SinkReplies(String hostname) {
        if (!isPrintableAscii(hostname)) {
            throw new IllegalArgumentException("hostname: \"" + hostname + "\" (expected: printable ASCII, no spaces)");
        }
        greeting = Reply.of(220, hostname + " ESMTP Sluice sink");
        helo = Reply.of(250, hostname);
        // XCLIENT is advertised because it is accepted: a proxy configured to send it looks for it here.
        ehlo = Reply.of(250, Reply.Effect.NONE,
                hostname,
                "PIPELINING",
                "SIZE 0", // RFC 1870 §4: 0 means no fixed maximum
                "8BITMIME",
                "ENHANCEDSTATUSCODES",
                "XCLIENT NAME ADDR PORT PROTO HELO LOGIN DESTADDR DESTPORT",
                "SMTPUTF8");
    }

    Reply greeting() {
        return greeting;
    }

    Reply ehlo() {
        return ehlo;
    }

    Reply helo() {
        return helo;
    }

    static boolean isPrintableAscii(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c <= ' ' || c > '~') {
                return false;
            }
        }
        return true;
    }
}
