package io.sluice.proxy;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.sluice.config.DrainConfig;
import io.sluice.config.SluiceConfig;
import io.sluice.policy.cluster.ClusterPolicyStore;
import io.sluice.policy.cluster.LimitStore;
import io.sluice.policy.eval.LocalPolicyStore;
import io.sluice.policy.eval.PolicyEngine;
import io.sluice.policy.eval.PolicyStore;
import io.sluice.proxy.admin.AdminServer;
import io.sluice.proxy.egress.OutboundService;
import io.sluice.proxy.inbound.InboundService;
import io.sluice.proxy.lifecycle.DrainController;
import io.sluice.proxy.lifecycle.NodeState;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running Sluice process: event loops, the limit store, the policy and its versions, the node's state and
 * its drain, and the services started from a configuration (the admin listener first, so that probes answer
 * while the rest starts).
 */
public final class SluiceServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SluiceServer.class);

    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final PrometheusMeterRegistry registry;
    private final LimitStore limits;
    private final PolicyEngine policy;
    private final PolicyStore policies;
    private final NodeState state;
    private final Optional<AdminServer> admin;
    private final InboundService inbound;
    private final OutboundService outbound;
    private final CompletableFuture<Void> stopped = new CompletableFuture<>();
    private final AtomicBoolean closed = new AtomicBoolean();

    private SluiceServer(EventLoopGroup boss, EventLoopGroup workers, PrometheusMeterRegistry registry,
                         LimitStore limits, PolicyEngine policy, PolicyStore policies, NodeState state,
                         Optional<AdminServer> admin, InboundService inbound, OutboundService outbound,
                         DrainConfig drain) {
        this.boss = boss;
        this.workers = workers;
        this.registry = registry;
        this.limits = limits;
        this.policy = policy;
        this.policies = policies;
        this.state = state;
        this.admin = admin;
        this.inbound = inbound;
        this.outbound = outbound;
        DrainController controller = new DrainController(drain, state, List.of(inbound, outbound), this::close);
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
        // With a cluster, a policy change made on any node is in force on all of them.
        PolicyStore policies = limits.node().isPresent()
                ? new ClusterPolicyStore(limits.node().get(), policy, config.listenerNames(), registry)
                : new LocalPolicyStore(policy, registry);
        NodeState state = new NodeState();
        EventLoopGroup boss = transport.newGroup(1, "sluice-accept");
        // One loop per core: more only adds context switches, every session is non-blocking.
        EventLoopGroup workers = transport.newGroup(Runtime.getRuntime().availableProcessors(), "sluice-io");
        Optional<AdminServer> admin = Optional.empty();
        try {
            if (config.admin().isPresent()) {
                admin = Optional.of(AdminServer.start(config, state, policies, registry, limits, transport, boss,
                        workers));
            }
            InboundService inbound = InboundService.start(config, policy, transport, boss, workers);
            OutboundService outbound;
            try {
                outbound = OutboundService.start(config, policy, transport, boss, workers, registry);
            } catch (Exception e) {
                inbound.close();
                throw e;
            }
            state.countSessionsWith(() -> inbound.openSessions() + outbound.openSessions());
            SluiceServer server = new SluiceServer(boss, workers, registry, limits, policy, policies, state, admin,
                    inbound, outbound, config.drain());
            state.advance(NodeState.Phase.STARTING, NodeState.Phase.SERVING);
            return server;
        } catch (Exception e) {
            admin.ifPresent(AdminServer::close);
            boss.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            workers.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            limits.close();
            throw e;
        }
    }

    /** The bound address of each listener by name. */
    public Map<String, InetSocketAddress> addresses() {
        Map<String, InetSocketAddress> addresses = new LinkedHashMap<>(inbound.addresses());
        addresses.putAll(outbound.addresses());
        return addresses;
    }

    /** The outbound relay, whose egress pools' sources can be suspended and resumed at runtime. */
    public OutboundService outbound() {
        return outbound;
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

    /** The policy in force with its version; changes go through here, so that the version counts them. */
    public PolicyStore policyStore() {
        return policies;
    }

    /** Phase, readiness and open sessions; {@code state().startDrain()} drains as SIGTERM does. */
    public NodeState state() {
        return state;
    }

    /** The admin listener's bound address, when there is one (the real port when the configuration asked for 0). */
    public Optional<InetSocketAddress> adminAddress() {
        return admin.map(AdminServer::localAddress);
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
            outbound.close();
            admin.ifPresent(AdminServer::close);
            boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
            workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
            limits.close();
        } finally {
            stopped.complete(null);
        }
    }
}
