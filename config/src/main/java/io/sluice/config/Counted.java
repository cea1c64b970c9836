package io.sluice.config;

import java.util.Locale;

/** What one token of a rate limit stands for. */
public enum Counted {
    /** A new connection, charged before the greeting. */
    CONNECTIONS,
    /** A mail transaction, charged at MAIL (or at the first RCPT for a recipient-side key). */
    MESSAGES,
    /** A recipient, charged at each RCPT; those over the budget get 452 and are retried later. */
    RECIPIENTS,
    /**
     * Message octets, charged at MAIL by the declared SIZE and settled to the real size after the data (or to what
     * was read of it when the connection closes in the middle).
     */
    BYTES;

    public String yamlName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
