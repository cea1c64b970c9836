package io.sluice.proxy.inbound;

import static net.logstash.logback.argument.StructuredArguments.kv;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import io.sluice.config.BackendPoolConfig;
import io.sluice.config.ListenerConfig;
import io.sluice.config.ListenerRole;
import io.sluice.config.SluiceConfig;
import io.sluice.policy.eval.PolicyEngine;
import io.sluice.proxy.TlsContexts;
import io.sluice.proxy.Transport;
import io.sluice.proxy.relay.ListenerContext;
import io.sluice.proxy.relay.RelayListeners;
import io.sluice.proxy.relay.TransactionMeters;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The MX front-end: the backend pools with their health checks, and the inbound listeners relaying to them. */
public final class InboundService implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(InboundService.class);

    private final RelayListeners listeners;
    private final List<HealthChecker> healthCheckers;

    private InboundService(RelayListeners listeners, List<HealthChecker> healthCheckers) {
        this.listeners = listeners;
        this.healthCheckers = healthCheckers;
    }

    public static InboundService start(SluiceConfig config, PolicyEngine policy, TransactionMeters meters,
                                       Admissions admissions, Transport transport, EventLoopGroup workers)
            throws Exception {
        SslContext backendTls = TlsContexts.backendClient();
        RelayListeners listeners = new RelayListeners("clients", transport, workers);
        Map<String, BackendConnector> connectors = new LinkedHashMap<>();
        List<HealthChecker> healthCheckers = new ArrayList<>();
        for (BackendPoolConfig poolConfig : config.backends().values()) {
            BackendConnector connector = new BackendConnector(new BackendPool(poolConfig), transport,
                    config.smtp().hostname(), config.smtp().timeouts(), backendTls,
                    admissions.pool(poolConfig.name()), listeners::accepting);
            connectors.put(poolConfig.name(), connector);
            registerGauges(connector, meters.registry());
            HealthChecker checker = new HealthChecker(connector, workers.next());
            checker.start();
            healthCheckers.add(checker);
        }
        InboundService service = new InboundService(listeners, healthCheckers);
        try {
            for (ListenerConfig listener : config.listeners()) {
                if (listener.role() != ListenerRole.INBOUND) {
                    continue;
                }
                ListenerContext context = ListenerContext.of(listener, config.smtp(),
                        config.smtp().maxTransactions(), policy, meters);
                InboundContext hops = new InboundContext(connectors.get(listener.backendPool()),
                        config.smtp().timeouts());
                Consumer<ChannelPipeline> front = pipeline -> listener.proxyProtocol()
                        .ifPresent(proxy -> ProxyHeaderHandler.install(pipeline, proxy));
                InetSocketAddress bound = service.listeners.bind(listener.bind(), context,
                        config.smtp().bareLineEndings(), session -> new BackendHop(hops, session), front);
                log.info("listening", kv("listener", listener.name()),
                        kv("role", "inbound"),
                        kv("address", bound.toString()),
                        kv("backend_pool", listener.backendPool()),
                        kv("starttls", context.tls() != null),
                        kv("proxy_protocol", context.proxyProtocol()));
            }
        } catch (Exception e) {
            service.close();
            throw e;
        }
        return service;
    }

    /**
     * Gauges of the pool's servers by the outcome of their last health check or connection attempt, and of its
     * connections kept for the next client.
     */
    private static void registerGauges(BackendConnector connector, MeterRegistry registry) {
        BackendPool pool = connector.pool();
        Gauge.builder("sluice.backend.connections.idle", connector, BackendConnector::idle)
                .description("connections to the pool's backends kept open between client sessions")
                .tag("pool", pool.config().name()).register(registry);
        for (boolean healthy : new boolean[] {true, false}) {
            Gauge.builder("sluice.backend.servers", pool, p -> p.servers().stream()
                            .filter(server -> server.isHealthy() == healthy).count())
                    .description("backend servers of the pool, by the outcome of their last health check or connect")
                    .tag("pool", pool.config().name()).tag("health", healthy ? "healthy" : "unhealthy")
                    .register(registry);
        }
    }

    /** The listeners and their client sessions, for the drain and for their bound addresses. */
    public RelayListeners listeners() {
        return listeners;
    }

    @Override
    public void close() {
        listeners.close();
        healthCheckers.forEach(HealthChecker::close);
    }
}
