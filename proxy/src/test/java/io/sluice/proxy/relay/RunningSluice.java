package io.sluice.proxy.relay;

import io.sluice.config.AdminConfig;
import io.sluice.config.AdmissionConfig;
import io.sluice.config.BackendPoolConfig;
import io.sluice.config.BackendTls;
import io.sluice.config.BareLineEndings;
import io.sluice.config.ClusterConfig;
import io.sluice.config.ConnectionReuseConfig;
import io.sluice.config.DrainConfig;
import io.sluice.config.HealthCheckConfig;
import io.sluice.config.HostPort;
import io.sluice.config.ListenerConfig;
import io.sluice.config.ListenerRole;
import io.sluice.config.PolicyConfig;
import io.sluice.config.ProxyProtocolConfig;
import io.sluice.config.SluiceConfig;
import io.sluice.config.SmtpConfig;
import io.sluice.config.SmtpTimeouts;
import io.sluice.config.TlsConfig;
import io.sluice.proxy.SluiceServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Sluice started in this JVM with one inbound listener on an ephemeral loopback port, for end-to-end tests. */
final class RunningSluice implements AutoCloseable {

    private final SluiceServer server;

    private RunningSluice(SluiceServer server) {
        this.server = server;
    }

    static Builder relayingTo(int... backendPorts) {
        return new Builder(backendPorts);
    }

    int port() {
        return server.addresses().get("mx").getPort();
    }

    SluiceServer server() {
        return server;
    }

    /** The address of an admin API path, such as {@code /api/v1/policy}, when started with {@code admin(...)}. */
    URI admin(String path) {
        InetSocketAddress address = server.adminAddress().orElseThrow();
        return URI.create("http://127.0.0.1:" + address.getPort() + path);
    }

    @Override
    public void close() {
        server.close();
    }

    static final class Builder {
        private final int[] backendPorts;
        private BareLineEndings bareLineEndings = BareLineEndings.REJECT;
        private Optional<TlsConfig> tls = Optional.empty();
        private Optional<ProxyProtocolConfig> proxyProtocol = Optional.empty();
        private Duration backendTimeout = Duration.ofMinutes(5);
        private Duration commandTimeout = Duration.ofMinutes(5);
        private long maxMessageSize = 10 * 1024 * 1024;
        private int maxTransactions = SmtpConfig.DEFAULT_MAX_TRANSACTIONS;
        private boolean xclient = true;
        private BackendTls backendTls = BackendTls.NONE;
        private Duration healthCheckInterval = Duration.ofSeconds(1);
        private ConnectionReuseConfig reuse = new ConnectionReuseConfig(4, Duration.ofSeconds(10), 100);
        private ClusterConfig cluster = ClusterConfig.STANDALONE;
        private PolicyConfig policy = PolicyConfig.EMPTY;
        private DrainConfig drain = DrainConfig.DEFAULT;
        private Optional<AdminConfig> admin = Optional.empty();
        private AdmissionConfig admission = AdmissionConfig.OFF;

        private Builder(int[] backendPorts) {
            this.backendPorts = backendPorts;
        }

        Builder bareLineEndings(BareLineEndings value) {
            bareLineEndings = value;
            return this;
        }

        Builder tls(TlsConfig value) {
            tls = Optional.of(value);
            return this;
        }

        Builder proxyProtocol(ProxyProtocolConfig value) {
            proxyProtocol = Optional.of(value);
            return this;
        }

        /** Every backend wait (greeting, commands, data) at once, so fault tests finish quickly. */
        Builder backendTimeout(Duration value) {
            backendTimeout = value;
            return this;
        }

        Builder commandTimeout(Duration value) {
            commandTimeout = value;
            return this;
        }

        Builder maxMessageSize(long value) {
            maxMessageSize = value;
            return this;
        }

        Builder maxTransactions(int value) {
            maxTransactions = value;
            return this;
        }

        Builder backendTls(BackendTls value) {
            backendTls = value;
            return this;
        }

        Builder healthCheckInterval(Duration value) {
            healthCheckInterval = value;
            return this;
        }

        Builder reuse(ConnectionReuseConfig value) {
            reuse = value;
            return this;
        }

        Builder policy(PolicyConfig value) {
            policy = value;
            return this;
        }

        Builder drain(DrainConfig value) {
            drain = value;
            return this;
        }

        Builder cluster(ClusterConfig value) {
            cluster = value;
            return this;
        }

        /** An admin listener as given; bind it to port 0 for an ephemeral port. */
        Builder admin(AdminConfig value) {
            admin = Optional.of(value);
            return this;
        }

        Builder admission(AdmissionConfig value) {
            admission = value;
            return this;
        }

        Builder xclient(boolean value) {
            xclient = value;
            return this;
        }

        RunningSluice start() throws Exception {
            SmtpTimeouts timeouts = new SmtpTimeouts(commandTimeout, backendTimeout, backendTimeout, backendTimeout,
                    backendTimeout, backendTimeout);
            SmtpConfig smtp = new SmtpConfig("mx.sluice.test", maxMessageSize, 1000, 20, maxTransactions,
                    bareLineEndings, timeouts);
            List<HostPort> servers = java.util.Arrays.stream(backendPorts)
                    .mapToObj(port -> new HostPort("127.0.0.1", port)).toList();
            BackendPoolConfig pool = new BackendPoolConfig("mta", servers, xclient, backendTls,
                    Duration.ofSeconds(2), new HealthCheckConfig(healthCheckInterval, Duration.ofSeconds(1)), reuse,
                    admission);
            ListenerConfig listener = new ListenerConfig("mx", ListenerRole.INBOUND, new HostPort("127.0.0.1", 0),
                    "mta", proxyProtocol, tls);
            return new RunningSluice(SluiceServer.start(
                    new SluiceConfig(smtp, List.of(listener), Map.of("mta", pool), cluster, policy, admin, drain)));
        }
    }
}
