package io.sluice.proxy.egress;

import static net.logstash.logback.argument.StructuredArguments.kv;

import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import io.sluice.config.EgressConfig;
import io.sluice.config.ListenerConfig;
import io.sluice.config.ListenerRole;
import io.sluice.config.SluiceConfig;
import io.sluice.policy.eval.PolicyEngine;
import io.sluice.proxy.ListeningSocket;
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

/** The outbound relay: the egress pools, the MX resolver, and the outbound listeners delivering through them. */
public final class OutboundService implements Drainable, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(OutboundService.class);

    private final EgressPools pools;
    private final Map<String, ListeningSocket> listeners = new LinkedHashMap<>();
    private final ClientSessions clients = new ClientSessions("outbound-clients");

    private OutboundService(EgressPools pools) {
        this.pools = pools;
    }

    /**
     * Binds every outbound listener of the configuration; with none, binds nothing and asks no DNS.
     *
     * @param pools the pools of {@code config.egress()}
     */
    public static OutboundService start(SluiceConfig config, EgressPools pools, PolicyEngine policy,
                                        TransactionMeters meters, Transport transport, EventLoopGroup workers,
                                        MeterRegistry registry) throws Exception {
        EgressConfig egress = config.egress();
        OutboundService service = new OutboundService(pools);
        List<ListenerConfig> outbound = new ArrayList<>();
        for (ListenerConfig listener : config.listeners()) {
            if (listener.role() == ListenerRole.OUTBOUND) {
                outbound.add(listener);
            }
        }
        if (outbound.isEmpty()) {
            return service;
        }
        MxResolver resolver = MxResolver.create(egress.dns(), registry);
        DestinationScreen destinations = new DestinationScreen(egress.destinations(), registry);
        RemoteConnector connector = new RemoteConnector(service.pools, destinations, transport,
                config.smtp().timeouts(), egress.connectTimeout(), egress.remotePort(), TlsContexts.backendClient(),
                TlsContexts.verifyingClient());
        try {
            for (ListenerConfig listener : outbound) {
                SslContext serverTls = listener.tls().isPresent() ? TlsContexts.server(listener.tls().get()) : null;
                EgressPool pool = service.pools.pool(listener.egressPool()).orElseThrow();
                meters.listener(listener.name());
                pool.sources().forEach(source -> meters.source(pool.name(), source.toString()));
                OutboundContext context = new OutboundContext(listener, config.smtp(), pool, resolver, destinations,
                        connector, serverTls, policy, meters);
                ListeningSocket socket = ListeningSocket.bind(transport, workers, listener.bind(),
                        new OutboundChannelInitializer(context, service.clients));
                service.listeners.put(listener.name(), socket);
                log.info("listening", kv("listener", listener.name()), kv("role", "outbound"),
                        kv("address", socket.localAddress().toString()), kv("egress_pool", pool.name()),
                        kv("sources", pool.sources().toString()), kv("starttls", serverTls != null));
            }
        } catch (Exception e) {
            service.close();
            throw e;
        }
        return service;
    }

    /** The egress pools, to suspend and resume sources at runtime. */
    public EgressPools pools() {
        return pools;
    }

    /** The bound address of each outbound listener by name. */
    public Map<String, InetSocketAddress> addresses() {
        Map<String, InetSocketAddress> addresses = new LinkedHashMap<>();
        listeners.forEach((name, socket) -> addresses.put(name, socket.localAddress()));
        return addresses;
    }

    @Override
    public void stopAccepting() {
        listeners.values().forEach(ListeningSocket::close);
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
        stopAccepting();
    }
}
