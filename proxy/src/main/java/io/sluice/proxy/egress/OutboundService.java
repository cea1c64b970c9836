package io.sluice.proxy.egress;

import static net.logstash.logback.argument.StructuredArguments.kv;

import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.sluice.config.EgressConfig;
import io.sluice.config.ListenerConfig;
import io.sluice.config.ListenerRole;
import io.sluice.config.SluiceConfig;
import io.sluice.policy.eval.PolicyEngine;
import io.sluice.proxy.TlsContexts;
import io.sluice.proxy.Transport;
import io.sluice.proxy.egress.tls.DanePolicy;
import io.sluice.proxy.egress.tls.DaneResolver;
import io.sluice.proxy.relay.ListenerContext;
import io.sluice.proxy.relay.RelayListeners;
import io.sluice.proxy.relay.TransactionMeters;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The outbound relay: the egress pools, the MX resolver, and the outbound listeners delivering through them. */
public final class OutboundService implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(OutboundService.class);

    private final EgressPools pools;
    private final RelayListeners listeners;

    private OutboundService(EgressPools pools, RelayListeners listeners) {
        this.pools = pools;
        this.listeners = listeners;
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
        OutboundService service = new OutboundService(pools, new RelayListeners("outbound-clients", transport, workers));
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
        // DANE (RFC 7672) where it is switched on: the configured resolvers must then pass DNSSEC records on.
        DanePolicy dane = egress.dns().dane() ? new DanePolicy(DaneResolver.create(MxResolver.upstream(egress.dns()),
                egress.dns().trustAnchor().orElse(null), Clock.systemUTC()), Clock.systemUTC(), registry) : null;
        RemoteConnector connector = new RemoteConnector(pools, destinations, transport,
                config.smtp().timeouts(), egress.connectTimeout(), egress.remotePort(), TlsContexts.backendClient(),
                TlsContexts.verifyingClient(), egress.reuse(), new DestinationSites(egress.sites()), registry, dane);
        try {
            for (ListenerConfig listener : outbound) {
                // No cap on transactions: the relay's clients are the platform's own MTAs (allowed-clients), and a
                // 421 in the middle of their connection reuse would only defer a message to their next queue run.
                ListenerContext context = ListenerContext.of(listener, config.smtp(), Integer.MAX_VALUE, policy, meters);
                EgressPool pool = pools.pool(listener.egressPool()).orElseThrow();
                pool.sources().forEach(source -> meters.source(pool.name(), source.toString()));
                if (dane != null) {
                    dane.register(pool.name());
                }
                OutboundContext hops = new OutboundContext(listener, config.smtp(), pool, resolver, destinations,
                        connector, meters);
                InetSocketAddress bound = service.listeners.bind(listener.bind(), context,
                        config.smtp().bareLineEndings(), new MxHops(hops), pipeline -> { });
                log.info("listening", kv("listener", listener.name()), kv("role", "outbound"),
                        kv("address", bound.toString()), kv("egress_pool", pool.name()),
                        kv("sources", pool.sources().toString()), kv("starttls", context.tls() != null));
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

    /** The listeners and their client sessions, for the drain and for their bound addresses. */
    public RelayListeners listeners() {
        return listeners;
    }

    @Override
    public void close() {
        listeners.close();
    }
}
