package io.sluice.proxy.smtp;

import java.util.Locale;

/** SMTP command verbs the server side recognizes. */
public enum Verb {
    HELO, EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT, VRFY, EXPN, HELP, STARTTLS,
    // Recognized so they get a precise 502 rather than a syntax error.
    AUTH, BDAT, ETRN, TURN, XCLIENT,
    UNKNOWN;

    static Verb of(String token) {
        try {
            Verb verb = valueOf(token.toUpperCase(Locale.ROOT));
            return verb == UNKNOWN ? UNKNOWN : verb;
        } catch (IllegalArgumentException e) {
            return UNKNOWN;
        }
    }
}
