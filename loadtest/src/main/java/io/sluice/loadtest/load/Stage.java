package io.sluice.loadtest.load;

import java.util.Locale;

/** The SMTP exchanges of a client session whose replies are counted and timed, in session order. */
public enum Stage {
    /** TCP connect and the server's greeting. */
    CONNECT,
    EHLO,
    MAIL,
    RCPT,
    DATA,
    /** The message content and the reply to its final dot: the server's verdict on the message. */
    DOT,
    /** After a failed transaction, so that the next message starts clean. */
    RSET,
    QUIT;

    /** Lower-case name, as in files and tables. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
