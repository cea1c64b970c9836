package io.sluice.proxy.inbound;

import static net.logstash.logback.argument.StructuredArguments.kv;

import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import io.sluice.config.BackendPoolConfig;
import io.sluice.config.ListenerConfig;
import io.sluice.config.ListenerRole;
import io.sluice.config.SluiceConfig;
import io.sluice.policy.eval.PolicyEngine;
import io.sluice.proxy.TlsContexts;
import io.sluice.proxy.Transport;
import io.sluice.proxy.lifecycle.ClientSessions;
import io.sluice.proxy.lifecycle.Drainable;
import io.sluice.proxy.session.TransactionMeters;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The MX front-end: the backend pools with their health checks, and the inbound listeners relaying to them. */
public final class InboundService implements Drainable, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(InboundService.class);

    private final List<InboundListener> listeners;
    private final List<HealthChecker> healthCheckers;
    private final ClientSessions clients = new ClientSessions("clients");

    private InboundService(List<InboundListener> listeners, List<HealthChecker> healthCheckers) {
        this.listeners = listeners;
        this.healthCheckers = healthCheckers;
    }

    public static InboundService start(SluiceConfig config, PolicyEngine policy, TransactionMeters meters,
                                       Transport transport, EventLoopGroup workers)
            throws Exception {
        SslContext backendTls = TlsContexts.backendClient();
        Map<String, BackendConnector> connectors = new LinkedHashMap<>();
        List<HealthChecker> healthCheckers = new ArrayList<>();
        for (BackendPoolConfig poolConfig : config.backends().values()) {
            BackendConnector connector = new BackendConnector(new BackendPool(poolConfig), transport,
                    config.smtp().hostname(), config.smtp().timeouts(), backendTls);
            connectors.put(poolConfig.name(), connector);
            HealthChecker checker = new HealthChecker(connector, workers.next());
            checker.start();
            healthCheckers.add(checker);
        }
        List<InboundListener> listeners = new ArrayList<>();
        InboundService service = new InboundService(listeners, healthCheckers);
        try {
            for (ListenerConfig listener : config.listeners()) {
                if (listener.role() != ListenerRole.INBOUND) {
                    continue;
                }
                SslContext serverTls = listener.tls().isPresent() ? TlsContexts.server(listener.tls().get()) : null;
                InboundListener bound = InboundListener.bind(listener, config.smtp(),
                        connectors.get(listener.backendPool()), serverTls, policy, meters, service.clients,
                        transport, workers);
                listeners.add(bound);
                log.info("listening", kv("listener", listener.name()),
                        kv("role", "inbound"),
                        kv("address", bound.localAddress().toString()),
                        kv("backend_pool", listener.backendPool()),
                        kv("starttls", serverTls != null),
                        kv("proxy_protocol",
                                listener.proxyProtocol().isPresent()));
            }
        } catch (Exception e) {
            service.close();
            throw e;
        }
        return service;
    }

    /** The bound address of each listener by name (the real port when the configuration asked for port 0). */
    public Map<String, InetSocketAddress> addresses() {
        Map<String, InetSocketAddress> addresses = new LinkedHashMap<>();
        listeners.forEach(listener -> addresses.put(listener.name(), listener.localAddress()));
        return addresses;
    }

    @Override
    public void stopAccepting() {
        listeners.forEach(InboundListener::close);
    }

    @Override
    public void sayGoodbye() {
        clients.sayGoodbye();
    }

    @Override
    public int openSessions() {
        return clients.size();
    }

    @Override
    public void closeAll() {
        clients.closeAll();
    }

    @Override
    public void close() {
        listeners.forEach(InboundListener::close);
        healthCheckers.forEach(HealthChecker::close);
    }
}
