package io.sluice.proxy;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.micrometer.core.instrument.Gauge;
import io.netty.channel.EventLoopGroup;
import io.sluice.config.DrainConfig;
import io.sluice.config.SluiceConfig;
import io.sluice.policy.cluster.LimitStore;
import io.sluice.policy.eval.PolicyEngine;
import io.sluice.proxy.inbound.InboundService;
import io.sluice.proxy.lifecycle.DrainController;
import io.sluice.proxy.lifecycle.NodeState;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One running Sluice process: event loops, the limit store, and the services started from a configuration. */
public final class SluiceServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SluiceServer.class);

    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final PrometheusMeterRegistry registry;
    private final LimitStore limits;
    private final PolicyEngine policy;
    private final NodeState state;
    private final InboundService inbound;
    private final CompletableFuture<Void> stopped = new CompletableFuture<>();
    private final AtomicBoolean closed = new AtomicBoolean();

    private SluiceServer(EventLoopGroup boss, EventLoopGroup workers, PrometheusMeterRegistry registry,
                         LimitStore limits, PolicyEngine policy, NodeState state, InboundService inbound,
                         DrainConfig drain) {
        this.boss = boss;
        this.workers = workers;
        this.registry = registry;
        this.limits = limits;
        this.policy = policy;
        this.state = state;
        this.inbound = inbound;
        DrainController controller = new DrainController(drain, state, List.of(inbound), this::close);
        state.drainWith(controller::start);
        Gauge.builder("sluice.sessions.active", state, NodeState::sessions)
                .description("client sessions open now").register(registry);
        Gauge.builder("sluice.node.draining", state, s -> s.draining() ? 1 : 0)
                .description("1 from the start of a drain until the process exits").register(registry);
    }

    public static SluiceServer start(SluiceConfig config) throws Exception {
        Transport transport = Transport.best();
        log.info("starting with {} transport and {} TLS", transport.name(), TlsContexts.provider());
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        // Joins the cluster before listening: a node must not admit anything on limits of its own.
        LimitStore limits = LimitStore.open(config.cluster(), registry);
        PolicyEngine policy = new PolicyEngine(config.policy(), limits.limiter(), limits.leases(), registry);
        EventLoopGroup boss = transport.newGroup(1, "sluice-accept");
        // One loop per core: more only adds context switches, every session is non-blocking.
        EventLoopGroup workers = transport.newGroup(Runtime.getRuntime().availableProcessors(), "sluice-io");
        try {
            NodeState state = new NodeState();
            InboundService inbound = InboundService.start(config, policy, state, transport, boss, workers);
            SluiceServer server = new SluiceServer(boss, workers, registry, limits, policy, state, inbound,
                    config.drain());
            state.advance(NodeState.Phase.STARTING, NodeState.Phase.SERVING);
            return server;
        } catch (Exception e) {
            boss.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            workers.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            limits.close();
            throw e;
        }
    }

    /** The bound address of each listener by name. */
    public Map<String, InetSocketAddress> addresses() {
        return inbound.addresses();
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    public LimitStore limits() {
        return limits;
    }

    public PolicyEngine policy() {
        return policy;
    }

    /** Phase, readiness and open sessions; {@code state().startDrain()} drains as SIGTERM does. */
    public NodeState state() {
        return state;
    }

    /** Completes once the server has closed, after a drain or a direct {@link #close()}. */
    public CompletableFuture<Void> stopped() {
        return stopped;
    }

    /** Closes at once: listeners, sessions, event loops, then the node leaves the cluster gracefully. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            inbound.close();
            boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
            workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
            limits.close();
        } finally {
            stopped.complete(null);
        }
    }
}
