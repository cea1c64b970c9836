package io.sluice.proxy.admin;

import static net.logstash.logback.argument.StructuredArguments.kv;

import io.netty.channel.EventLoopGroup;
import io.sluice.config.AdminConfig;
import io.sluice.config.AdminScope;
import io.sluice.config.AdminToken;
import io.sluice.config.ClusterConfig;
import io.sluice.config.SluiceConfig;
import io.sluice.policy.cluster.ClusterHealth;
import io.sluice.policy.cluster.ClusterNode;
import io.sluice.policy.cluster.LimitStore;
import io.sluice.policy.cluster.NodeDirectory;
import io.sluice.proxy.ListeningSocket;
import io.sluice.proxy.Transport;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin HTTP listener: probes, metrics and the REST API, on an address of its own (loopback by default), and
 * on an event loop of its own, so that no SMTP session ever waits behind an admin request.
 */
public final class AdminServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AdminServer.class);

    private final ListeningSocket socket;
    private final EventLoopGroup loop;

    private AdminServer(ListeningSocket socket, EventLoopGroup loop) {
        this.socket = socket;
        this.loop = loop;
    }

    /**
     * Reads the admin tokens and binds the listener of {@code config.admin()}, served by one event loop thread of
     * its own.
     *
     * @throws IllegalArgumentException when the tokens cannot be read, naming every problem
     */
    public static AdminServer start(SluiceConfig config, AdminServices services, Transport transport)
            throws InterruptedException, IOException {
        AdminConfig admin = config.admin().orElseThrow(() -> new IllegalArgumentException(
                "admin: (expected: an admin listener in the configuration)"));
        List<AdminToken> tokens = admin.tokens(System::getenv);
        AdminApi api = new AdminApi(new Authenticator(tokens), admin.openHealth(), admin.openMetrics(), services);
        // One thread: the admin plane's work is small, and a flood of it then takes one core at most.
        EventLoopGroup loop = transport.newGroup(1, "sluice-admin");
        AdminServer server;
        try {
            server = new AdminServer(ListeningSocket.bind(transport, loop, admin.bind(),
                    new AdminChannelInitializer(api, Math.toIntExact(admin.maxBodySize()), AdminChannelInitializer.IDLE,
                            new AdminConnectionLimit(admin.maxConnections()))), loop);
        } catch (InterruptedException | IOException | RuntimeException e) {
            loop.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw e;
        }
        log.info("listening", kv("listener", "admin"), kv("role", "admin"),
                kv("address", server.localAddress().toString()),
                kv("tokens", tokens.stream().map(token -> token.name() + ":" + token.scopes().stream().sorted()
                        .map(AdminScope::yamlName).collect(Collectors.joining(","))).toList()),
                kv("open_health", admin.openHealth()), kv("open_metrics", admin.openMetrics()),
                kv("max_connections", admin.maxConnections()));
        if (tokens.isEmpty()) {
            log.info("no admin tokens configured: only the open endpoints answer; set admin.token-file or"
                    + " admin.token-env to use the API");
        }
        return server;
    }

    /** What this node knows of its cluster, asked afresh for each request. */
    public static Supplier<ClusterStatus> clusterStatus(ClusterConfig.Mode mode, LimitStore limits,
                                                        NodeDirectory nodes) {
        return () -> new ClusterStatus(mode.yamlName(),
                limits.node().map(ClusterNode::memberAddresses).orElse(List.of()),
                limits.health().map(ClusterHealth::degraded).orElse(false),
                limits.health().map(ClusterHealth::episodes).orElse(0L),
                nodes.nodes());
    }

    /** The bound address (the real port when the configuration asked for port 0). */
    public InetSocketAddress localAddress() {
        return socket.localAddress();
    }

    /** Stops accepting, and closes the connections still open with the admin event loop. */
    @Override
    public void close() {
        socket.close();
        loop.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
