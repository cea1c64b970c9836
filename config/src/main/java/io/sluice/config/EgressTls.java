package io.sluice.config;

/** Whether deliveries from an egress pool use STARTTLS (RFC 3207) towards the remote MX. */
public enum EgressTls {
    /** Plain SMTP, even where the remote offers STARTTLS. */
    NONE,
    /** STARTTLS where the remote offers it, without certificate checks (RFC 7435); plain otherwise. */
    OPPORTUNISTIC,
    /** STARTTLS with a certificate valid for the MX host name; a remote without it gets no message. */
    REQUIRED,
    /**
     * What the destination publishes: DANE (RFC 7672) where it has TLSA records, else its MTA-STS policy
     * (RFC 8461), else {@link #OPPORTUNISTIC}.
     */
    POLICY
}
