package io.sluice.proxy.relay;

import io.sluice.config.BareLineEndings;
import io.sluice.config.Cidr;
import io.sluice.config.ClusterConfig;
import io.sluice.config.ConnectionReuseConfig;
import io.sluice.config.DaneMode;
import io.sluice.config.DnsConfig;
import io.sluice.config.DrainConfig;
import io.sluice.config.EgressConfig;
import io.sluice.config.EgressDestinations;
import io.sluice.config.EgressPoolConfig;
import io.sluice.config.EgressSelection;
import io.sluice.config.EgressSite;
import io.sluice.config.EgressSource;
import io.sluice.config.EgressTls;
import io.sluice.config.FeedbackRule;
import io.sluice.config.HostPort;
import io.sluice.config.ListenerConfig;
import io.sluice.config.ListenerRole;
import io.sluice.config.MtaStsConfig;
import io.sluice.config.PolicyConfig;
import io.sluice.config.SluiceConfig;
import io.sluice.config.SmtpConfig;
import io.sluice.config.SmtpTimeouts;
import io.sluice.config.TlsConfig;
import io.sluice.config.TlsReportsConfig;
import io.sluice.proxy.SluiceServer;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Sluice started in this JVM as an outbound relay: listener {@code relay} delivers from pool {@code normal}
 * (127.0.0.10 and 127.0.0.11), listener {@code relay-fallback} from pool {@code fallback} (127.0.0.20); only
 * 127.0.0.1 may relay; MX records come from the DNS server given and remote MX hosts listen on one port. Loopback
 * is forbidden as a destination by default: {@code egress.allowed-destinations} lets these tests deliver there.
 */
final class RunningOutbound implements AutoCloseable {

    static final String NORMAL_SOURCES = "127.0.0.10,127.0.0.11";
    static final String FALLBACK_SOURCE = "127.0.0.20";
    /** The remote MX hosts of these tests are on loopback, which only the allow-list opens. */
    static final EgressDestinations LOOPBACK_ALLOWED = new EgressDestinations(
            List.of(Cidr.parse("127.0.0.0/8"), Cidr.parse("::1/128")), List.of());

    private final SluiceServer server;

    private RunningOutbound(SluiceServer server) {
        this.server = server;
    }

    static Builder resolvingWith(String dnsHostPort, int remotePort) {
        return new Builder(dnsHostPort, remotePort);
    }

    int port() {
        return server.addresses().get("relay").getPort();
    }

    int fallbackPort() {
        return server.addresses().get("relay-fallback").getPort();
    }

    SluiceServer server() {
        return server;
    }

    double poolViolations() {
        return server.registry().get("sluice.egress.pool.violations").counter().count();
    }

    /** Addresses of mail exchangers refused as destinations, of the kind given (such as {@code loopback}). */
    double destinationsRefused(String reason) {
        return server.registry().get("sluice.egress.destination.refused").tag("reason", reason).counter().count();
    }

    @Override
    public void close() {
        server.close();
    }

    static final class Builder {
        private final String dns;
        private final int remotePort;
        private Duration remoteTimeout = Duration.ofSeconds(30);
        private EgressSelection selection = EgressSelection.ROUND_ROBIN;
        private EgressTls tls = EgressTls.NONE;
        private PolicyConfig policy = PolicyConfig.EMPTY;
        private String relayHost = "127.0.0.1";
        private DrainConfig drain = DrainConfig.DEFAULT;
        private Optional<TlsConfig> listenerTls = Optional.empty();
        private EgressDestinations destinations = LOOPBACK_ALLOWED;
        private String normalSources = NORMAL_SOURCES;
        private List<EgressSite> sites = List.of();
        private ConnectionReuseConfig reuse = EgressConfig.DEFAULT_REUSE;
        private List<FeedbackRule> feedback = List.of();
        private MtaStsConfig mtaSts = MtaStsConfig.DEFAULT;
        private ClusterConfig cluster = ClusterConfig.STANDALONE;
        private Optional<java.nio.file.Path> daneAnchor = Optional.empty();
        private TlsReportsConfig tlsReports = TlsReportsConfig.DISABLED;

        private Builder(String dns, int remotePort) {
            this.dns = dns;
            this.remotePort = remotePort;
        }

        /** Every wait for the remote and the DNS timeout at once, so fault tests finish quickly. */
        Builder remoteTimeout(Duration value) {
            remoteTimeout = value;
            return this;
        }

        Builder selection(EgressSelection value) {
            selection = value;
            return this;
        }

        Builder tls(EgressTls value) {
            tls = value;
            return this;
        }

        Builder policy(PolicyConfig value) {
            policy = value;
            return this;
        }

        /** A certificate for the listeners, which then offer STARTTLS to the MTAs. */
        Builder listenerTls(TlsConfig value) {
            listenerTls = Optional.of(value);
            return this;
        }

        /** The destination exceptions instead of {@link #LOOPBACK_ALLOWED}. */
        Builder destinations(EgressDestinations value) {
            destinations = value;
            return this;
        }

        /** The addresses of pool {@code normal}, comma-separated, instead of {@link #NORMAL_SOURCES}. */
        Builder normalSources(String addresses) {
            normalSources = addresses;
            return this;
        }

        /** Destination sites by MX host suffix; none by default. */
        Builder sites(List<EgressSite> value) {
            sites = value;
            return this;
        }

        /** How connections to remote MX hosts are kept; {@link EgressConfig#DEFAULT_REUSE} by default. */
        Builder reuse(ConnectionReuseConfig value) {
            reuse = value;
            return this;
        }

        /** What receivers' replies make it do; nothing by default. */
        Builder feedback(List<FeedbackRule> value) {
            feedback = value;
            return this;
        }

        /** How MTA-STS policies are fetched (the policy host's port and trusted authorities, for tests). */
        Builder mtaSts(MtaStsConfig value) {
            mtaSts = value;
            return this;
        }

        /** The cluster it is a member of; standalone by default. */
        Builder cluster(ClusterConfig value) {
            cluster = value;
            return this;
        }

        /** DANE on (RFC 7672), validating from the trust anchors of the file. */
        Builder dane(java.nio.file.Path trustAnchor) {
            daneAnchor = Optional.of(trustAnchor);
            return this;
        }

        /** Daily TLS reports (RFC 8460); none by default. */
        Builder tlsReports(TlsReportsConfig value) {
            tlsReports = value;
            return this;
        }

        Builder drain(DrainConfig value) {
            drain = value;
            return this;
        }

        /** The loopback address the listeners bind (a real Postfix needs its relayhost on an address of its own). */
        Builder listenOn(String host) {
            relayHost = host;
            return this;
        }

        RunningOutbound start() throws Exception {
            SmtpTimeouts timeouts = new SmtpTimeouts(Duration.ofMinutes(1), remoteTimeout, remoteTimeout,
                    remoteTimeout, remoteTimeout, remoteTimeout);
            SmtpConfig smtp = new SmtpConfig("relay.sluice.test", 10 * 1024 * 1024, 1000, 20, BareLineEndings.REJECT,
                    timeouts);
            List<Cidr> allowed = List.of(Cidr.parse("127.0.0.1/32"), Cidr.parse(relayHost + "/32"));
            List<ListenerConfig> listeners = List.of(
                    new ListenerConfig("relay", ListenerRole.OUTBOUND, new HostPort(relayHost, 0), "",
                            Optional.empty(), listenerTls, "normal", allowed),
                    new ListenerConfig("relay-fallback", ListenerRole.OUTBOUND, new HostPort(relayHost, 0), "",
                            Optional.empty(), listenerTls, "fallback", allowed));
            Map<String, EgressPoolConfig> pools = new LinkedHashMap<>();
            pools.put("normal", pool("normal", normalSources, "out"));
            pools.put("fallback", pool("fallback", FALLBACK_SOURCE, "fb"));
            DnsConfig dnsConfig = new DnsConfig(List.of(HostPort.parse(dns)), remoteTimeout.compareTo(
                    Duration.ofSeconds(2)) < 0 ? remoteTimeout : Duration.ofSeconds(2), 1, 1000,
                    Duration.ofHours(1), Duration.ofMinutes(5), daneAnchor.isPresent() ? DaneMode.TLS_POOLS : DaneMode.POLICY_POOLS, daneAnchor);
            EgressConfig egress = new EgressConfig(dnsConfig, pools, Duration.ofSeconds(2), remotePort, destinations,
                    sites, reuse, feedback, mtaSts, tlsReports);
            return new RunningOutbound(SluiceServer.start(new SluiceConfig(smtp, listeners, Map.of(),
                    cluster, policy, Optional.empty(), drain, egress)));
        }

        private EgressPoolConfig pool(String name, String addresses, String heloPrefix) throws UnknownHostException {
            List<EgressSource> sources = new ArrayList<>();
            for (String address : addresses.split(",")) {
                sources.add(new EgressSource(InetAddress.getByName(address),
                        heloPrefix + sources.size() + ".sluice.test"));
            }
            return new EgressPoolConfig(name, sources, selection, tls);
        }
    }
}
