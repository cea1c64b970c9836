package io.sluice.proxy;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.sluice.config.SluiceConfig;
import io.sluice.policy.cluster.LimitStore;
import io.sluice.policy.eval.PolicyEngine;
import io.sluice.proxy.inbound.InboundService;
import java.net.InetSocketAddress;
import java.util.Map;
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
    private final InboundService inbound;

    private SluiceServer(EventLoopGroup boss, EventLoopGroup workers, PrometheusMeterRegistry registry,
                         LimitStore limits, PolicyEngine policy, InboundService inbound) {
        this.boss = boss;
        this.workers = workers;
        this.registry = registry;
        this.limits = limits;
        this.policy = policy;
        this.inbound = inbound;
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
            InboundService inbound = InboundService.start(config, policy, transport, boss, workers);
            return new SluiceServer(boss, workers, registry, limits, policy, inbound);
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

    @Override
    public void close() {
        inbound.close();
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        limits.close();
    }
}
