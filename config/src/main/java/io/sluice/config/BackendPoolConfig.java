package io.sluice.config;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * A group of interchangeable backend SMTP servers that a listener relays to.
 *
 * @param name the pool's key in {@link SluiceConfig#backends()}
 * @param servers the servers, in file order
 * @param xclient whether to pass the client's address with XCLIENT when the backend advertises it
 * @param tls whether to upgrade backend connections with STARTTLS
 * @param connectTimeout how long a TCP connect to one server may take
 * @param healthCheck how often and how patiently servers are probed
 * @param reuse whether and how long connections are kept for later client sessions
 * @param admission how many transactions may be in flight to the pool, adapted to how its backends answer
 */
public record BackendPoolConfig(String name, List<HostPort> servers, boolean xclient, BackendTls tls,
                                Duration connectTimeout, HealthCheckConfig healthCheck, ConnectionReuseConfig reuse,
                                AdmissionConfig admission) {

    public BackendPoolConfig {
        Objects.requireNonNull(name, "name");
        servers = List.copyOf(servers);
        if (servers.isEmpty()) {
            throw new IllegalArgumentException("servers: [] (expected: at least one server)");
        }
        Objects.requireNonNull(tls, "tls");
        SmtpTimeouts.requirePositive(connectTimeout, "connectTimeout");
        Objects.requireNonNull(healthCheck, "healthCheck");
        Objects.requireNonNull(reuse, "reuse");
        Objects.requireNonNull(admission, "admission");
    }

    /** A pool without adaptive admission. */
    public BackendPoolConfig(String name, List<HostPort> servers, boolean xclient, BackendTls tls,
                             Duration connectTimeout, HealthCheckConfig healthCheck, ConnectionReuseConfig reuse) {
        this(name, servers, xclient, tls, connectTimeout, healthCheck, reuse, AdmissionConfig.OFF);
    }
}
