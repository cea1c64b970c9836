package io.sluice.config;

import java.util.Objects;

/**
 * The SMTP protocol limits and timeouts Sluice enforces on every session.
 *
 * <p>The constructor only checks that values are usable; the minimums that RFC 5321 asks of a server (100
 * recipients, 64 KiB messages) are enforced by {@link ConfigLoader}, so that tests can build smaller limits.
 *
 * @param hostname the name Sluice gives in its greeting and EHLO reply
 * @param maxMessageSize the largest message accepted, in bytes, also advertised through SIZE
 * @param maxRecipients the most RCPT commands accepted in one transaction
 * @param maxErrors the most failed commands before the session is closed
 * @param maxTransactions the most MAIL commands in one session, refused ones included, before it is closed
 * @param bareLineEndings what to do with a CR or LF that is not part of a CRLF pair
 * @param timeouts how long to wait for the client and the backend
 */
public record SmtpConfig(String hostname, long maxMessageSize, int maxRecipients, int maxErrors, int maxTransactions,
                         BareLineEndings bareLineEndings, SmtpTimeouts timeouts) {

    /** MAIL commands per session by default: Exim's default for the same cap (smtp_accept_max_per_connection). */
    public static final int DEFAULT_MAX_TRANSACTIONS = 1000;

    public SmtpConfig {
        Objects.requireNonNull(hostname, "hostname");
        Objects.requireNonNull(bareLineEndings, "bareLineEndings");
        Objects.requireNonNull(timeouts, "timeouts");
        if (maxMessageSize <= 0) {
            throw new IllegalArgumentException("maxMessageSize: " + maxMessageSize + " (expected: > 0)");
        }
        if (maxRecipients <= 0) {
            throw new IllegalArgumentException("maxRecipients: " + maxRecipients + " (expected: > 0)");
        }
        if (maxErrors <= 0) {
            throw new IllegalArgumentException("maxErrors: " + maxErrors + " (expected: > 0)");
        }
        if (maxTransactions <= 0) {
            throw new IllegalArgumentException("maxTransactions: " + maxTransactions + " (expected: > 0)");
        }
    }

    /** Settings with the default cap on transactions per session. */
    public SmtpConfig(String hostname, long maxMessageSize, int maxRecipients, int maxErrors,
                      BareLineEndings bareLineEndings, SmtpTimeouts timeouts) {
        this(hostname, maxMessageSize, maxRecipients, maxErrors, DEFAULT_MAX_TRANSACTIONS, bareLineEndings, timeouts);
    }
}
