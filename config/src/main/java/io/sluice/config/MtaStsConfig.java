package io.sluice.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How MTA-STS policies (RFC 8461) are fetched and cached for the pools whose {@code tls} is {@code policy}.
 *
 * @param fetchTimeout how long the HTTPS fetch of a policy may take in all, connect included
 * @param maxPolicySize the largest policy body read, in bytes; a larger one is no policy
 * @param cacheSize how many domains' policies the cache holds
 * @param checkInterval how long a cached policy is used before its TXT record is looked up again to see whether
 *     its id changed; a policy that expires within this time is fetched again
 * @param httpsPort the port of the policy host: 443, other values for tests only
 * @param trustedAuthorities a PEM file of the certificate authorities trusted for the policy host's and the MX
 *     hosts' certificates; empty for the JDK's own
 */
public record MtaStsConfig(Duration fetchTimeout, int maxPolicySize, int cacheSize, Duration checkInterval,
                           int httpsPort, Optional<Path> trustedAuthorities) {

    // RFC 8461 §3.3: senders may limit a policy's size; 64 KiB is what the RFC's examples suggest as ample.
    public static final MtaStsConfig DEFAULT = new MtaStsConfig(Duration.ofSeconds(10), 64 * 1024, 10_000,
            Duration.ofHours(1), 443, Optional.empty());

    public MtaStsConfig {
        SmtpTimeouts.requirePositive(fetchTimeout, "fetchTimeout");
        SmtpTimeouts.requirePositive(checkInterval, "checkInterval");
        if (maxPolicySize < 64) {
            throw new IllegalArgumentException("maxPolicySize: " + maxPolicySize + " (expected: >= 64)");
        }
        if (cacheSize < 1) {
            throw new IllegalArgumentException("cacheSize: " + cacheSize + " (expected: >= 1)");
        }
        if (httpsPort < 1 || httpsPort > 65535) {
            throw new IllegalArgumentException("httpsPort: " + httpsPort + " (expected: 1-65535)");
        }
        Objects.requireNonNull(trustedAuthorities, "trustedAuthorities");
    }
}
