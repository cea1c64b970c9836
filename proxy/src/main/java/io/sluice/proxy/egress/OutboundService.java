package io.sluice.proxy.egress;

import static net.logstash.logback.argument.StructuredArguments.kv;

import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.sluice.config.EgressConfig;
import io.sluice.config.ListenerConfig;
import io.sluice.config.ListenerRole;
import io.sluice.config.SluiceConfig;
import io.sluice.config.TlsReportsConfig;
import io.sluice.policy.eval.PolicyEngine;
import io.sluice.proxy.TlsContexts;
import io.sluice.proxy.Transport;
import io.sluice.proxy.egress.tls.TlsPolicies;
import io.sluice.proxy.egress.tls.TlsReporter;
import io.sluice.proxy.relay.ListenerContext;
import io.sluice.proxy.relay.RelayListeners;
import io.sluice.proxy.relay.TransactionMeters;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The outbound relay: the egress pools, the MX resolver, and the outbound listeners delivering through them. */
public final class OutboundService implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(OutboundService.class);

    private final EgressPools pools;
    private final RelayListeners listeners;
    private final EgressActions actions;
    private volatile TlsReporter reporter;

    private OutboundService(EgressPools pools, RelayListeners listeners, EgressActions actions) {
        this.pools = pools;
        this.listeners = listeners;
        this.actions = actions;
    }

    /**
     * Binds every outbound listener of the configuration; with none, binds nothing and asks no DNS.
     *
     * @param pools the pools of {@code config.egress()}
     * @param actions what takes the actions of the egress's feedback rules
     */
    public static OutboundService start(SluiceConfig config, EgressPools pools, PolicyEngine policy,
                                        TransactionMeters meters, Transport transport, EventLoopGroup workers,
                                        EgressActions actions, MeterRegistry registry, TlsPolicies tls)
            throws Exception {
        EgressConfig egress = config.egress();
        OutboundService service = new OutboundService(pools, new RelayListeners("outbound-clients", transport, workers),
                actions);
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
        RemoteConnector connector = new RemoteConnector(pools, destinations, transport,
                config.smtp().timeouts(), egress.connectTimeout(), egress.remotePort(), TlsContexts.backendClient(),
                tls.trust(), tls.outcomes(), egress.reuse(), new DestinationSites(egress.sites()),
                new ReceiverFeedback(egress.feedback(), actions, registry), tls.dane().orElse(null), registry);
        try {
            for (ListenerConfig listener : outbound) {
                // No cap on transactions: the relay's clients are the platform's own MTAs (allowed-clients), and a
                // 421 in the middle of their connection reuse would only defer a message to their next queue run.
                ListenerContext context = ListenerContext.of(listener, config.smtp(), Integer.MAX_VALUE, policy, meters);
                EgressPool pool = pools.pool(listener.egressPool()).orElseThrow();
                pool.sources().forEach(source -> meters.source(pool.name(), source.toString()));
                OutboundContext hops = new OutboundContext(listener, config.smtp(), pool, resolver, destinations,
                        connector, meters, tls);
                InetSocketAddress bound = service.listeners.bind(listener.bind(), context,
                        config.smtp().bareLineEndings(), new MxHops(hops), pipeline -> { });
                log.info("listening", kv("listener", listener.name()), kv("role", "outbound"),
                        kv("address", bound.toString()), kv("egress_pool", pool.name()),
                        kv("sources", pool.sources().toString()), kv("starttls", context.tls() != null));
            }
            TlsReportsConfig reports = egress.tlsReports();
            if (reports.enabled()) {
                // Reports by mail leave as relayed mail does: submitted over loopback to the pool's listener.
                // The configuration's check made sure there is one.
                String listener = outbound.stream().filter(candidate -> candidate.egressPool().equals(reports.pool())
                        && candidate.reachableOverLoopback()).findFirst().orElseThrow().name();
                service.reporter = tls.startReporting(reports, () -> {
                    InetSocketAddress bound = service.listeners.addresses().get(listener);
                    return bound.getAddress().isAnyLocalAddress()
                            ? new InetSocketAddress(InetAddress.getLoopbackAddress(), bound.getPort()) : bound;
                }, config.smtp().hostname());
            }
        } catch (Exception e) {
            service.close();
            throw e;
        }
        return service;
    }

    /** The daily TLS reports (RFC 8460), where {@code egress.tls-reports} turns them on. */
    public Optional<TlsReporter> tlsReporter() {
        return Optional.ofNullable(reporter);
    }

    /**
     * The TLS policies of the outbound relay, fetched with the egress resolvers and never from a forbidden
     * destination; {@link TlsPolicies.Prepared#in} shares MTA-STS policies through the cluster where there is one.
     */
    public static TlsPolicies.Prepared tlsPolicies(EgressConfig egress, Transport transport, EventLoopGroup workers,
                                                  MeterRegistry registry) throws IOException {
        ForbiddenDestinations forbidden = new ForbiddenDestinations(egress.destinations());
        return TlsPolicies.prepare(egress, MxResolver.dnsResolver(egress.dns()),
                address -> forbidden.refusal(address) == null, workers, transport.socketChannelClass(), registry);
    }

    /** The egress pools, to suspend and resume sources at runtime. */
    public EgressPools pools() {
        return pools;
    }

    /** The actions receivers' replies took, in force on every node. */
    public EgressActions actions() {
        return actions;
    }

    /** The listeners and their client sessions, for the drain and for their bound addresses. */
    public RelayListeners listeners() {
        return listeners;
    }

    @Override
    public void close() {
        if (reporter != null) {
            reporter.close();
        }
        listeners.close();
    }
}
