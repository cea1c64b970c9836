package io.sluice.proxy.session;

/**
 * The limits and identity a session works with, fixed for its lifetime.
 *
 * @param tlsOffered whether STARTTLS can be offered (the listener has a certificate)
 */
public record SessionSettings(String hostname, long maxMessageSize, int maxRecipients, int maxErrors,
                              boolean tlsOffered) {}
