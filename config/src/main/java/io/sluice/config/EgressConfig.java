package io.sluice.config;

import java.net.InetAddress;
import java.time.Duration;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Outbound delivery: how MX records are resolved and the egress pools that mail leaves from.
 *
 * @param dns the resolvers and the cache
 * @param pools the egress pools by name, in file order; no source address is in two of them
 * @param connectTimeout how long a TCP connect to one MX address may take
 * @param remotePort the port remote MX hosts listen on: 25, other values for tests only
 * @param destinations the networks delivered to or not besides the built-in rule
 * @param sites the destination sites by MX host suffix, the first to match winning; a destination none matches
 *     is a site of its own, named by its sorted MX hosts
 * @param reuse how connections to remote MX hosts are kept for the next transaction to the same site
 * @param feedback what remote replies suspend a source or pool for a site, or scale its rules, in file order: the
 *     first rule a reply matches acts
 * @param mtaSts how the MTA-STS policies of destinations are fetched and cached, for pools of {@code tls: policy}
 * @param tlsReports the daily TLS reports (RFC 8460) sent to destinations that ask for them; off by default
 */
public record EgressConfig(DnsConfig dns, Map<String, EgressPoolConfig> pools, Duration connectTimeout,
                           int remotePort, EgressDestinations destinations, List<EgressSite> sites,
                           ConnectionReuseConfig reuse, List<FeedbackRule> feedback, MtaStsConfig mtaSts,
                           TlsReportsConfig tlsReports) {

    /** Connections to remote MX hosts kept per event loop, for how long and for how many transactions. */
    public static final ConnectionReuseConfig DEFAULT_REUSE = new ConnectionReuseConfig(16, Duration.ofSeconds(5), 100);

    /** No egress pools: a configuration without outbound listeners. */
    public static final EgressConfig NONE = new EgressConfig(DnsConfig.DEFAULT, Map.of(), Duration.ofSeconds(30), 25,
            EgressDestinations.DEFAULT);

    public EgressConfig {
        Objects.requireNonNull(dns, "dns");
        Objects.requireNonNull(destinations, "destinations");
        sites = List.copyOf(sites);
        Objects.requireNonNull(reuse, "reuse");
        feedback = List.copyOf(feedback);
        if (feedback.stream().map(FeedbackRule::name).distinct().count() != feedback.size()) {
            throw new IllegalArgumentException("feedback: " + feedback + " (expected: each name once)");
        }
        Objects.requireNonNull(mtaSts, "mtaSts");
        Objects.requireNonNull(tlsReports, "tlsReports");
        if (tlsReports.enabled() && !pools.containsKey(tlsReports.pool())) {
            throw new IllegalArgumentException("tlsReports.pool: " + tlsReports.pool() + " (expected: one of "
                    + pools.keySet() + ")");
        }
        if (sites.stream().map(EgressSite::name).distinct().count() != sites.size()) {
            throw new IllegalArgumentException("sites: " + sites + " (expected: each name once)");
        }
        pools = Collections.unmodifiableMap(new LinkedHashMap<>(pools));
        SmtpTimeouts.requirePositive(connectTimeout, "connectTimeout");
        if (remotePort < 1 || remotePort > 65535) {
            throw new IllegalArgumentException("remotePort: " + remotePort + " (expected: 1-65535)");
        }
        // A source in two pools would mix their reputations, which is what the pools are there to prevent.
        Map<InetAddress, String> owners = new HashMap<>();
        pools.forEach((name, pool) -> {
            Objects.requireNonNull(pool, name);
            for (EgressSource source : pool.sources()) {
                String other = owners.putIfAbsent(source.address(), name);
                if (other != null) {
                    throw new IllegalArgumentException("source " + source.text() + " is in pools " + other + " and "
                            + name + " (expected: each address in one pool only)");
                }
            }
        });
    }

    /** No TLS reports sent. */
    public EgressConfig(DnsConfig dns, Map<String, EgressPoolConfig> pools, Duration connectTimeout, int remotePort,
                        EgressDestinations destinations, List<EgressSite> sites, ConnectionReuseConfig reuse,
                        List<FeedbackRule> feedback, MtaStsConfig mtaSts) {
        this(dns, pools, connectTimeout, remotePort, destinations, sites, reuse, feedback, mtaSts,
                TlsReportsConfig.DISABLED);
    }

    /** The default MTA-STS settings. */
    public EgressConfig(DnsConfig dns, Map<String, EgressPoolConfig> pools, Duration connectTimeout, int remotePort,
                        EgressDestinations destinations, List<EgressSite> sites, ConnectionReuseConfig reuse,
                        List<FeedbackRule> feedback) {
        this(dns, pools, connectTimeout, remotePort, destinations, sites, reuse, feedback, MtaStsConfig.DEFAULT);
    }

    /** No feedback rules: remote replies are relayed and nothing more. */
    public EgressConfig(DnsConfig dns, Map<String, EgressPoolConfig> pools, Duration connectTimeout, int remotePort,
                        EgressDestinations destinations, List<EgressSite> sites, ConnectionReuseConfig reuse,
                        MtaStsConfig mtaSts) {
        this(dns, pools, connectTimeout, remotePort, destinations, sites, reuse, List.of(), mtaSts);
    }

    /** No sites (every destination a site of its own), the default connection reuse and no feedback rules. */
    public EgressConfig(DnsConfig dns, Map<String, EgressPoolConfig> pools, Duration connectTimeout, int remotePort,
                        EgressDestinations destinations) {
        this(dns, pools, connectTimeout, remotePort, destinations, List.of(), DEFAULT_REUSE);
    }

    /** No feedback rules: remote replies are relayed and nothing more. */
    public EgressConfig(DnsConfig dns, Map<String, EgressPoolConfig> pools, Duration connectTimeout, int remotePort,
                        EgressDestinations destinations, List<EgressSite> sites, ConnectionReuseConfig reuse) {
        this(dns, pools, connectTimeout, remotePort, destinations, sites, reuse, List.of());
    }
}
