package io.sluice.config;

/** Which egress pools honour DANE (RFC 7672): {@code egress.dns.dane}. */
public enum DaneMode {
    /**
     * Left out: pools of {@code tls: policy}, once the resolvers are seen to pass DNSSEC records on (a resolver that
     * strips them would make every signed destination look bogus); until then, and where they do not, no DANE.
     */
    POLICY_POOLS,
    /** {@code true}: every pool with TLS ({@code opportunistic}, {@code required}, {@code policy}), unconditionally. */
    TLS_POOLS,
    /** {@code false}: none. */
    OFF
}
