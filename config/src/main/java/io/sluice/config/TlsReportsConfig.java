package io.sluice.config;

import java.time.Duration;
import java.time.LocalTime;
import java.util.Objects;

/**
 * The daily TLS reports (RFC 8460) Sluice sends to the domains it delivered to that ask for them: who sends them,
 * from which egress pool, and when.
 *
 * @param enabled whether reports are sent at all, and the counts behind them kept
 * @param organization the {@code organization-name} of the reports (RFC 8460 §4.4)
 * @param contact the {@code contact-info} of the reports, a mailbox or URI where the receiver can ask about them
 * @param from the sender mailbox of reports sent by mail, also the {@code TLS-Report-Submitter} domain's source
 * @param pool the egress pool reports sent by mail leave from, through the outbound listener of that pool that admits
 *     this node's loopback address
 * @param sendAt when, UTC, the reports of the day before are sent
 * @param flushInterval how often a node shares its counts of the day with the cluster
 * @param timeout how long one report's delivery (one submission or one HTTPS POST) may take
 */
public record TlsReportsConfig(boolean enabled, String organization, String contact, String from, String pool,
                               LocalTime sendAt, Duration flushInterval, Duration timeout) {

    /** No reports sent. */
    public static final TlsReportsConfig DISABLED = new TlsReportsConfig(false, "", "", "", "", LocalTime.of(1, 0),
            Duration.ofMinutes(5), Duration.ofSeconds(60));

    public TlsReportsConfig {
        Objects.requireNonNull(organization, "organization");
        Objects.requireNonNull(contact, "contact");
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(pool, "pool");
        Objects.requireNonNull(sendAt, "sendAt");
        SmtpTimeouts.requirePositive(flushInterval, "flushInterval");
        SmtpTimeouts.requirePositive(timeout, "timeout");
        if (enabled && (organization.isEmpty() || contact.isEmpty() || from.isEmpty() || pool.isEmpty())) {
            throw new IllegalArgumentException(
                    "tls-reports: organization, contact, from and pool (expected: all four when enabled)");
        }
    }

    /** The domain of the sender mailbox: the report submitter (RFC 8460 §5.3). */
    public String submitter() {
        return from.substring(from.lastIndexOf('@') + 1);
    }
}
