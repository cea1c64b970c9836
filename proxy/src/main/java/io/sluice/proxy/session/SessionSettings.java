package io.sluice.proxy.session;

import io.sluice.config.SmtpConfig;

/**
 * The limits and identity a session works with, fixed for its lifetime.
 *
 * @param maxTransactions the most MAIL commands in the session, refused ones included
 * @param tlsOffered whether STARTTLS can be offered (the listener has a certificate)
 */
public record SessionSettings(String hostname, long maxMessageSize, int maxRecipients, int maxErrors,
                              int maxTransactions, boolean tlsOffered) {

    /** Settings with the default cap on transactions. */
    public SessionSettings(String hostname, long maxMessageSize, int maxRecipients, int maxErrors,
                           boolean tlsOffered) {
        this(hostname, maxMessageSize, maxRecipients, maxErrors, SmtpConfig.DEFAULT_MAX_TRANSACTIONS, tlsOffered);
    }
}
