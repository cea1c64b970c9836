package io.sluice.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * How outbound delivery resolves MX records.
 *
 * @param servers the recursive resolvers to ask; empty for those of the host ({@code /etc/resolv.conf}), whose
 *     search list is never used: names are always queried as absolute names
 * @param timeout how long one query waits for an answer from one server
 * @param attempts how many times a query is sent before it counts as timed out
 * @param cacheSize how many domains' answers the in-process cache holds
 * @param maxTtl the longest an answer is cached, whatever its TTL says
 * @param negativeTtl the longest a negative answer (no such domain, no mail exchanger) is cached (RFC 2308)
 * @param dane which pools' deliveries look up DNSSEC-validated TLSA records of the MX hosts and honour them
 *     (RFC 7672): left out, those of {@code tls: policy} where the servers are seen to pass DNSSEC records on;
 *     {@code true}, every pool with TLS, the servers trusted to; {@code false}, none
 * @param trustAnchor the DNSSEC trust anchors (DS or DNSKEY records in zone-file form) DANE lookups validate from;
 *     empty for the root zone's, which Sluice ships
 */
public record DnsConfig(List<HostPort> servers, Duration timeout, int attempts, int cacheSize, Duration maxTtl,
                        Duration negativeTtl, DaneMode dane, Optional<Path> trustAnchor) {

    public static final DnsConfig DEFAULT = new DnsConfig(List.of(), Duration.ofSeconds(2), 2, 10_000,
            Duration.ofHours(1), Duration.ofMinutes(5));

    /** DANE as when {@code dane} is left out. */
    public DnsConfig(List<HostPort> servers, Duration timeout, int attempts, int cacheSize, Duration maxTtl,
                     Duration negativeTtl) {
        this(servers, timeout, attempts, cacheSize, maxTtl, negativeTtl, DaneMode.POLICY_POOLS, Optional.empty());
    }

    public DnsConfig {
        servers = List.copyOf(servers);
        Objects.requireNonNull(dane, "dane");
        Objects.requireNonNull(trustAnchor, "trustAnchor");
        SmtpTimeouts.requirePositive(timeout, "timeout");
        if (attempts < 1) {
            throw new IllegalArgumentException("attempts: " + attempts + " (expected: >= 1)");
        }
        if (cacheSize < 0) {
            throw new IllegalArgumentException("cacheSize: " + cacheSize + " (expected: >= 0)");
        }
        SmtpTimeouts.requirePositive(maxTtl, "maxTtl");
        SmtpTimeouts.requirePositive(negativeTtl, "negativeTtl");
    }
}
