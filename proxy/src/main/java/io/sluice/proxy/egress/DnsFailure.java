package io.sluice.proxy.egress;

import io.sluice.proxy.smtp.SmtpReply;
import java.util.Locale;

/**
 * Why a destination domain has no usable mail exchanger, with the reply the sending MTA gets at RCPT: permanent
 * when DNS gave a definite answer, temporary when it could not answer, so that the MTA keeps the message.
 */
public enum DnsFailure {
    // RFC 3463 X.1.2: bad destination system address.
    NXDOMAIN(SmtpReply.of(550, "5.1.2", "Recipient domain does not exist"), true),
    // RFC 7505 §4.2: the domain says it accepts no mail.
    NULL_MX(SmtpReply.of(556, "5.1.10", "Recipient address has null MX"), true),
    NO_MAIL_EXCHANGER(SmtpReply.of(550, "5.1.2", "Recipient domain has no mail exchanger and no address"), true),
    // X.4.4: unable to route.
    NO_ADDRESS(SmtpReply.of(550, "5.4.4", "No mail exchanger of the recipient domain has an address"), true),
    // X.4.3: directory server failure.
    SERVFAIL(SmtpReply.of(451, "4.4.3", "DNS failure looking up the recipient domain; try again later"), false),
    TIMEOUT(SmtpReply.of(451, "4.4.3", "DNS timeout looking up the recipient domain; try again later"), false);

    private final SmtpReply reply;
    private final boolean definite;

    DnsFailure(SmtpReply reply, boolean definite) {
        this.reply = reply;
        this.definite = definite;
    }

    public SmtpReply reply() {
        return reply;
    }

    /** Whether DNS said so (negative caching applies), rather than failed to say anything. */
    public boolean definite() {
        return definite;
    }

    /** The tag value in metrics, such as {@code null_mx}. */
    public String tag() {
        return name().toLowerCase(Locale.ROOT);
    }
}
