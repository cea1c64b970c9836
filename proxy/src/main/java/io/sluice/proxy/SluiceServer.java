package io.sluice.proxy;

import static net.logstash.logback.argument.StructuredArguments.kv;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.sluice.config.ClusterConfig;
import io.sluice.config.DrainConfig;
import io.sluice.config.SluiceConfig;
import io.sluice.policy.cluster.ClusterNode;
import io.sluice.policy.cluster.ClusterOverrideStore;
import io.sluice.policy.cluster.ClusterPolicyStore;
import io.sluice.policy.cluster.ClusterSuspensionStore;
import io.sluice.policy.cluster.LimitStore;
import io.sluice.policy.cluster.NodeDirectory;
import io.sluice.policy.eval.LocalPolicyStore;
import io.sluice.policy.eval.PolicyEngine;
import io.sluice.policy.eval.PolicyInspector;
import io.sluice.policy.eval.PolicyStore;
import io.sluice.policy.override.LocalOverrideStore;
import io.sluice.policy.override.OverrideStore;
import io.sluice.proxy.admin.AdminServer;
import io.sluice.proxy.admin.AdminServices;
import io.sluice.proxy.egress.EgressPools;
import io.sluice.proxy.egress.OutboundService;
import io.sluice.proxy.egress.EgressActions;
import io.sluice.proxy.egress.SourceSuspensions;
import io.sluice.proxy.egress.tls.TlsPolicies;
import io.sluice.proxy.inbound.Admissions;
import io.sluice.proxy.inbound.InboundService;
import io.sluice.proxy.lifecycle.DrainController;
import io.sluice.proxy.lifecycle.NodeState;
import io.sluice.proxy.relay.TransactionMeters;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running Sluice process: event loops, the limit store, the policy and its versions, the node's state and
 * its drain, and the services started from a configuration (the admin listener first, so that probes answer
 * while the rest starts).
 */
public final class SluiceServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SluiceServer.class);

    private final EventLoopGroup workers;
    private final PrometheusMeterRegistry registry;
    private final LimitStore limits;
    private final PolicyEngine policy;
    private final PolicyStore policies;
    private final OverrideStore overrides;
    private final NodeDirectory nodes;
    private final NodeState state;
    private final Optional<AdminServer> admin;
    private final InboundService inbound;
    private final OutboundService outbound;
    private final CompletableFuture<Void> stopped = new CompletableFuture<>();
    private final AtomicBoolean closed = new AtomicBoolean();

    private SluiceServer(EventLoopGroup workers, PrometheusMeterRegistry registry,
                         LimitStore limits, PolicyEngine policy, PolicyStore policies, OverrideStore overrides,
                         NodeDirectory nodes, NodeState state, Optional<AdminServer> admin, InboundService inbound,
                         OutboundService outbound, DrainConfig drain) {
        this.workers = workers;
        this.registry = registry;
        this.limits = limits;
        this.policy = policy;
        this.policies = policies;
        this.overrides = overrides;
        this.nodes = nodes;
        this.state = state;
        this.admin = admin;
        this.inbound = inbound;
        this.outbound = outbound;
        DrainController controller = new DrainController(drain, state,
                List.of(inbound.listeners(), outbound.listeners()), this::close);
        state.drainWith(controller::start);
        Gauge.builder("sluice.sessions.active", state, NodeState::sessions)
                .description("client sessions open now").register(registry);
        Gauge.builder("sluice.node.draining", state, s -> s.draining() ? 1 : 0)
                .description("1 from the start of a drain until the process exits").register(registry);
    }

    public static SluiceServer start(SluiceConfig config) throws Exception {
        return start(config, LimitStore::join);
    }

    /**
     * As {@link #start(SluiceConfig)}, with the cluster joined by {@code join} (tests slow it down).
     *
     * <p>Joining the cluster is the longest step of a start: it runs on a thread of its own, and its warm-up after
     * it, while this thread makes what does not depend on them. Nothing listens for clients before both are done: a
     * node must not admit anything on limits of its own, and readiness means that it decides with the cluster.
     */
    static SluiceServer start(SluiceConfig config, BiFunction<ClusterConfig, MeterRegistry, LimitStore> join)
            throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        Joining joining = Joining.start(() -> join.apply(config.cluster(), registry));
        JvmGcMetrics gc = new JvmGcMetrics();
        EventLoopGroup workers = null;
        Optional<AdminServer> admin = Optional.empty();
        NodeDirectory nodes = null;
        InboundService inbound = null;
        OutboundService outbound = null;
        try {
            Transport transport = Transport.best();
            log.info("starting with {} transport and {} TLS", transport.name(), TlsContexts.provider(),
                    kv("callback_threads", ForkJoinPool.getCommonPoolParallelism()));
            // Heap, direct buffers, GC pauses, threads and CPU: what the dashboard's JVM row shows.
            new JvmMemoryMetrics().bindTo(registry);
            new JvmThreadMetrics().bindTo(registry);
            new ProcessorMetrics().bindTo(registry);
            gc.bindTo(registry);
            EgressPools pools = new EgressPools(config.egress(), registry);
            Admissions admissions = Admissions.of(config.backends(), config.listeners(), registry);
            // One loop per core: more only adds context switches, every session is non-blocking.
            workers = transport.newGroup(Runtime.getRuntime().availableProcessors(), "sluice-io");
            TlsPolicies.Prepared tlsPrepared = OutboundService.tlsPolicies(config.egress(), transport, workers, registry);

            LimitStore limits = joining.joined();
            // Marks of deferred senders: their shape is the start's; a policy change turns priority on or off, or
            // changes the reserved share, but keeps the marks.
            Clock clock = Clock.systemUTC();
            PolicyEngine policy = new PolicyEngine(config.policy(), limits.limiter(), limits.leases(), registry, clock,
                    limits.deferredSenders(config.policy().retryPriority(), clock), limits.fairShares(clock));
            // With a cluster, a policy change made on any node is in force on all of them.
            PolicyStore policies = limits.node().isPresent()
                    ? new ClusterPolicyStore(limits.node().get(), policy, config.listenerNames(), registry)
                    : new LocalPolicyStore(policy, registry);
            OverrideStore overrides = limits.node().isPresent()
                    ? new ClusterOverrideStore(limits.node().get(), policy, policy.clock())
                    : new LocalOverrideStore(policy, policy.clock());
            NodeState state = new NodeState();
            Supplier<Map<String, Object>> card = () -> card(limits, state, policies);
            nodes = limits.node().map(node -> NodeDirectory.in(node, card))
                    .orElseGet(() -> NodeDirectory.alone(card));
            // With a cluster, a source suspended on any node is suspended on all of them.
            SourceSuspensions suspensions = limits.node()
                    .map(node -> SourceSuspensions.over(new ClusterSuspensionStore(node), pools))
                    .orElseGet(() -> SourceSuspensions.alone(pools));
            // What receivers' replies ask for: suspensions for a site beside the operators', scales as overrides.
            EgressActions actions = new EgressActions(config.egress(), suspensions, overrides,
                    () -> policy.policy().config(), policy.clock(), registry);
            TlsPolicies tls = tlsPrepared.in(limits.node());
            // The admin API asks the cluster (inspect, reset): not before the warm-up, or a cold request could miss
            // its deadline and start a fallback episode.
            joining.warm();
            if (config.admin().isPresent()) {
                AdminServices services = new AdminServices(state, policies, overrides, new PolicyInspector(policy),
                        config.listenerNames(), registry::scrape,
                        AdminServer.clusterStatus(config.cluster().mode(), limits, nodes), policy.clock(), pools,
                        suspensions, admissions, actions, Optional.of(tls));
                admin = Optional.of(AdminServer.start(config, services, transport));
            }
            TransactionMeters meters = new TransactionMeters(registry);
            inbound = InboundService.start(config, policy, meters, admissions, transport, workers);
            outbound = OutboundService.start(config, pools, policy, meters, transport, workers, actions, registry,
                    tls);
            InboundService startedIn = inbound;
            OutboundService startedOut = outbound;
            state.countSessionsWith(() -> startedIn.listeners().openSessions()
                    + startedOut.listeners().openSessions());
            SluiceServer server = new SluiceServer(workers, registry, limits, policy, policies, overrides,
                    nodes, state, admin, inbound, outbound, config.drain());
            state.advance(NodeState.Phase.STARTING, NodeState.Phase.SERVING);
            server.stopped().thenRun(gc::close);
            return server;
        } catch (Exception | Error e) {
            if (outbound != null) {
                outbound.close();
            }
            if (inbound != null) {
                inbound.close();
            }
            admin.ifPresent(AdminServer::close);
            gc.close();
            if (workers != null) {
                workers.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            }
            // The node leaves the cluster gracefully before the process exits: once its join and warm-up are over.
            try {
                joining.close(nodes);
            } catch (RuntimeException | Error closing) {
                e.addSuppressed(closing);
            }
            throw e;
        }
    }

    /**
     * The cluster's join and then its warm-up, on a thread of their own; at the start's failure what they made is
     * closed once the thread is through.
     */
    private static final class Joining {

        private final CompletableFuture<LimitStore> joined = new CompletableFuture<>();
        private final CompletableFuture<Void> warm = new CompletableFuture<>();

        static Joining start(Supplier<LimitStore> join) {
            Joining joining = new Joining();
            Thread thread = new Thread(() -> {
                try {
                    LimitStore limits = join.get();
                    joining.joined.complete(limits);
                    limits.warmUp();
                    joining.warm.complete(null);
                } catch (Throwable e) {
                    joining.joined.completeExceptionally(e);
                    joining.warm.completeExceptionally(e);
                }
            }, "sluice-cluster-join");
            thread.setDaemon(true);
            thread.start();
            return joining;
        }

        /** The limit store once the node has joined; throws what the join threw. */
        LimitStore joined() throws Exception {
            return await(joined);
        }

        /** Returns once the first requests to the cluster are answered; throws what the join threw. */
        void warm() throws Exception {
            await(warm);
        }

        /**
         * Waits until the thread is through (bounded as the join and warm-up are), then closes the node's card, if
         * made, and what the join made.
         */
        void close(NodeDirectory nodes) {
            warm.exceptionally(error -> null).join();
            if (!joined.isCompletedExceptionally()) {
                if (nodes != null) {
                    nodes.close();
                }
                joined.join().close();
            }
        }

        private static <T> T await(CompletableFuture<T> step) throws Exception {
            try {
                return step.get();
            } catch (ExecutionException e) {
                if (e.getCause() instanceof Exception cause) {
                    throw cause;
                }
                if (e.getCause() instanceof Error cause) {
                    throw cause;
                }
                throw e;
            }
        }
    }

    /** How this node describes itself to the others: its name, phase, sessions and policy version. */
    private static Map<String, Object> card(LimitStore limits, NodeState state, PolicyStore policies) {
        Map<String, Object> card = new LinkedHashMap<>();
        // Kubernetes sets HOSTNAME to the pod's name, which is what an operator looks for.
        card.put("name", Optional.ofNullable(System.getenv("HOSTNAME"))
                .orElseGet(() -> limits.node().map(ClusterNode::nodeId).orElse("local")));
        card.put("phase", state.phase().name().toLowerCase(Locale.ROOT));
        card.put("ready", state.ready());
        card.put("draining", state.draining());
        card.put("sessions", state.sessions());
        card.put("policy-version", policies.current().version());
        return card;
    }

    /** The bound address of each listener by name. */
    public Map<String, InetSocketAddress> addresses() {
        Map<String, InetSocketAddress> addresses = new LinkedHashMap<>(inbound.listeners().addresses());
        addresses.putAll(outbound.listeners().addresses());
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

    /** The overrides of the policy's rules, until they expire. */
    public OverrideStore overrides() {
        return overrides;
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
            workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
            policy.close();
            nodes.close();
            limits.close();
        } finally {
            stopped.complete(null);
        }
    }
}
