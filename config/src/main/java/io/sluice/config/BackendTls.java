package io.sluice.config;

/** Whether Sluice encrypts its connections to a backend pool. */
public enum BackendTls {
    /** Plain SMTP, for backends on the same host or a trusted network. */
    NONE,
    /** Upgrade with STARTTLS (RFC 3207) and fail the connection if the backend does not offer it. */
    STARTTLS
}
