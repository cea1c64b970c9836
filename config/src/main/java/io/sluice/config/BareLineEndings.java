package io.sluice.config;

/**
 * What Sluice does with a CR or LF that is not part of a CRLF pair, the ambiguity that SMTP smuggling exploits
 * (RFC 5321 §2.3.8 allows only CRLF as a line ending).
 */
public enum BareLineEndings {
    /** Refuse the command or message with an error reply. */
    REJECT,
    /** Turn each bare CR or LF into CRLF before relaying. */
    NORMALIZE
}
