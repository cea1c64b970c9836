package io.sluice.proxy.smtp;

import java.util.Map;

/**
 * The path of a MAIL or RCPT command with its ESMTP parameters.
 *
 * @param address the mailbox without angle brackets; "" for the null reverse-path
 * @param parameters upper-cased parameter names to values ("" for a keyword without value), in order
 */
public record MailPath(String address, Map<String, String> parameters) {

    public MailPath {
        parameters = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(parameters));
    }

    public boolean isNull() {
        return address.isEmpty();
    }

    /** The domain part, lower-cased; "" for the null path and for {@code <postmaster>}. */
    public String domain() {
        int at = address.lastIndexOf('@');
        return at < 0 ? "" : address.substring(at + 1).toLowerCase(java.util.Locale.ROOT);
    }
}
