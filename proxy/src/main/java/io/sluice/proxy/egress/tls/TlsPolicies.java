package io.sluice.proxy.egress.tls;

import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.sluice.config.DaneMode;
import io.sluice.config.EgressConfig;
import io.sluice.config.EgressTls;
import io.sluice.config.TlsReportsConfig;
import io.sluice.policy.cluster.ClusterNode;
import io.sluice.proxy.egress.tls.TlsRequirement.PolicyType;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.xbill.DNS.Resolver;

/**
 * Chooses the TLS of each delivery, per MX host: DANE first where it applies to the pool and the host has secure
 * TLSA records (RFC 7672 §2.2 and RFC 8461 §2 give DANE precedence; a host whose DNSSEC answers are bogus or could
 * not be had gets nothing), then, for a pool of {@code tls: policy}, the destination's MTA-STS policy in force
 * (RFC 8461), then the pool's own mode: {@code none}, {@code opportunistic}, {@code required}, and opportunistic TLS
 * for {@code policy}. DANE applies as {@code egress.dns.dane} says (see {@link DanePolicy}); never to {@code none}.
 */
public final class TlsPolicies {

    private final MtaStsPolicies sts;
    private final TlsTrust trust;
    private final TlsOutcomes outcomes;
    private final Optional<DanePolicy> dane;
    private final Reporting reporting;

    /** What the TLS reports are sent with: the store of the nodes' counts, and how report URIs are reached. */
    private record Reporting(TlsReportStore store, Resolver dns, HttpsExchange https, EventLoopGroup group,
                             Class<? extends SocketChannel> channelClass) {

        Reporting with(TlsReportStore store) {
            return new Reporting(store, dns, https, group, channelClass);
        }
    }

    TlsPolicies(MtaStsPolicies sts, TlsTrust trust, TlsOutcomes outcomes, Optional<DanePolicy> dane) {
        this(sts, trust, outcomes, dane, null);
    }

    private TlsPolicies(MtaStsPolicies sts, TlsTrust trust, TlsOutcomes outcomes, Optional<DanePolicy> dane,
                        Reporting reporting) {
        this.sts = sts;
        this.trust = trust;
        this.outcomes = outcomes;
        this.dane = dane;
        this.reporting = reporting;
    }

    /**
     * The policies of the outbound relay, with MTA-STS policies shared through the cluster where there is one.
     *
     * @param dns the egress resolvers
     * @param permitted whether an address may be connected to (the forbidden destinations are not)
     */
    public static TlsPolicies create(EgressConfig egress, Optional<ClusterNode> cluster, Resolver dns,
                                     Predicate<InetAddress> permitted, EventLoopGroup group,
                                     Class<? extends SocketChannel> channelClass, MeterRegistry registry)
            throws IOException {
        return prepare(egress, dns, permitted, group, channelClass, registry).in(cluster);
    }

    /**
     * What of the policies does not depend on the cluster (the trust store, the HTTPS client, DANE's resolver), so
     * that a start makes it while the node joins; {@link Prepared#in} makes the policies from it.
     */
    public static Prepared prepare(EgressConfig egress, Resolver dns, Predicate<InetAddress> permitted,
                                   EventLoopGroup group, Class<? extends SocketChannel> channelClass,
                                   MeterRegistry registry) throws IOException {
        TlsTrust trust = TlsTrust.of(egress.mtaSts().trustedAuthorities());
        // The policy hosts and the report URIs are checked against the same authorities: one exchange for both.
        HttpsExchange https = new HttpsExchange(trust.clientContext(), permitted, group, channelClass);
        MtaStsFetcher fetcher = new MtaStsFetcher(dns, https, egress.mtaSts());
        Optional<DanePolicy> dane = Optional.empty();
        if (egress.dns().dane() != DaneMode.OFF) {
            DanePolicy policy = new DanePolicy(DaneResolver.create(dns, egress.dns().trustAnchor().orElse(null),
                    Clock.systemUTC(), egress.dns().cacheSize(), egress.dns().maxTtl(), System::nanoTime),
                    egress.dns().dane(), Clock.systemUTC(), registry);
            egress.pools().keySet().forEach(policy::register);
            dane = Optional.of(policy);
        }
        TlsOutcomes outcomes = new TlsOutcomes(registry, egress.pools().keySet(), egress.tlsReports().enabled(),
                egress.pools().entrySet().stream()
                        .filter(pool -> pool.getValue().tls() == EgressTls.POLICY).map(Map.Entry::getKey)
                        .collect(java.util.stream.Collectors.toSet()));
        // The report store is the cluster's, known once the node has joined.
        return new Prepared(egress, trust, fetcher, outcomes, dane,
                new Reporting(null, dns, https, group, channelClass));
    }

    /** The policies but for what the cluster shares: MTA-STS policies fetched and TLS report counts. */
    public static final class Prepared {

        private final EgressConfig egress;
        private final TlsTrust trust;
        private final MtaStsFetcher fetcher;
        private final TlsOutcomes outcomes;
        private final Optional<DanePolicy> dane;
        private final Reporting reporting;

        private Prepared(EgressConfig egress, TlsTrust trust, MtaStsFetcher fetcher, TlsOutcomes outcomes,
                         Optional<DanePolicy> dane, Reporting reporting) {
            this.egress = egress;
            this.trust = trust;
            this.fetcher = fetcher;
            this.outcomes = outcomes;
            this.dane = dane;
            this.reporting = reporting;
        }

        /** The policies, with MTA-STS policies and report counts shared through the cluster where there is one. */
        public TlsPolicies in(Optional<ClusterNode> cluster) {
            MtaStsPolicies.SharedPolicies shared = cluster.<MtaStsPolicies.SharedPolicies>map(ClusterMtaStsPolicies::new)
                    .orElse(MtaStsPolicies.SharedPolicies.NONE);
            TlsReportStore store = cluster.<TlsReportStore>map(ClusterTlsReports::new)
                    .orElseGet(TlsReportStore.Alone::new);
            return new TlsPolicies(new MtaStsPolicies(fetcher, shared, egress.mtaSts(), Clock.systemUTC()), trust,
                    outcomes, dane, reporting.with(store));
        }
    }

    /**
     * The TLS of a delivery to the domain from the pool, whose MX hosts are given; never completes exceptionally.
     *
     * @param domain the destination domain, lower case
     */
    public CompletableFuture<DestinationTls> forDomain(String domain, String pool, EgressTls mode,
                                                      List<String> mxHosts) {
        // Neither lookup needs the other: both are under way at once.
        CompletableFuture<Map<String, DaneVerdict>> verdicts = dane.map(policy -> policy.assess(pool, mode, domain,
                mxHosts)).orElse(CompletableFuture.completedFuture(Map.of()))
                .exceptionally(error -> refusedAll(domain, mxHosts, error));
        CompletableFuture<Optional<MtaStsPolicies.Cached>> policy = mode != EgressTls.POLICY
                ? CompletableFuture.completedFuture(Optional.empty())
                : sts.lookup(domain).thenApply(lookup -> {
                    Optional<MtaStsPolicies.Cached> inForce = lookup.policy()
                            .filter(cached -> cached.policy().mode() != MtaStsPolicy.Mode.NONE);
                    if (inForce.isEmpty() && lookup.failure().isPresent()) {
                        // RFC 8460 reports a policy that could not be had; the delivery goes on as if there were none.
                        outcomes.count(pool, domain, PolicyType.STS, lookup.failure().get());
                    }
                    return inForce;
                });
        return verdicts.thenCombine(policy, (dane, inForce) -> switch (mode) {
            case NONE -> DestinationTls.poolOnly(domain, pool, TlsRequirement.PLAIN);
            case OPPORTUNISTIC -> new DestinationTls(domain, pool, dane, Optional.empty(),
                    TlsRequirement.OPPORTUNISTIC);
            case REQUIRED -> new DestinationTls(domain, pool, dane, Optional.empty(), TlsRequirement.POOL_REQUIRED);
            case POLICY -> new DestinationTls(domain, pool, dane, inForce, TlsRequirement.OPPORTUNISTIC);
        });
    }

    /** A lookup that should never fail did: no host is known to be safe from a downgrade, so none is used. */
    private static Map<String, DaneVerdict> refusedAll(String domain, List<String> mxHosts, Throwable error) {
        Map<String, DaneVerdict> refused = new LinkedHashMap<>();
        mxHosts.forEach(host -> refused.put(host, new DaneVerdict.Refused(DaneVerdict.Reason.LOOKUP_FAILED,
                "DANE lookup of " + domain + " failed: " + error)));
        return refused;
    }

    /**
     * Starts sending the daily TLS reports (RFC 8460) of the outcomes counted here.
     *
     * @param listener the outbound listener of the reports' pool that reports by mail are submitted to
     * @param hostname this node's name, for the submission's EHLO
     */
    public TlsReporter startReporting(TlsReportsConfig config, Supplier<InetSocketAddress> listener, String hostname) {
        if (reporting == null) {
            throw new IllegalStateException("no reporting: policies made without create()");
        }
        TlsReporter reporter = new TlsReporter(config, outcomes, reporting.store(),
                domain -> TlsRptRecord.lookup(reporting.dns(), domain),
                domain -> sts.cached(domain).flatMap(MtaStsPolicies.Lookup::policy).map(MtaStsPolicies.Cached::policy),
                new ReportMailer(config, reporting.group(), reporting.channelClass(), listener, hostname),
                new ReportPoster(reporting.dns(), reporting.https(), config.timeout()),
                Clock.systemUTC());
        reporter.start();
        return reporter;
    }

    /** DANE's checks of the hosts it binds, where it is on. */
    public Optional<DanePolicy> dane() {
        return dane;
    }

    /** The trusted authorities that certificates are checked against. */
    public TlsTrust trust() {
        return trust;
    }

    public TlsOutcomes outcomes() {
        return outcomes;
    }

    /** The MTA-STS policy in force for the domain, looked up if need be, for the admin API. */
    public CompletableFuture<Map<String, Object>> describe(String domain) {
        return sts.lookup(domain).thenApply(lookup -> {
            Map<String, Object> view = new LinkedHashMap<>();
            view.put("domain", domain);
            Optional<MtaStsPolicies.Cached> policy = lookup.policy();
            boolean inForce = policy.filter(cached -> cached.policy().mode() != MtaStsPolicy.Mode.NONE).isPresent();
            view.put("policy", inForce ? PolicyType.STS.tag() : PolicyType.NONE.tag());
            view.put("source", lookup.origin().name().toLowerCase(java.util.Locale.ROOT));
            policy.ifPresent(cached -> {
                Map<String, Object> sts = new LinkedHashMap<>();
                sts.put("id", cached.id());
                sts.put("mode", cached.policy().mode().text());
                sts.put("mx", cached.policy().mx());
                sts.put("max-age", cached.policy().maxAge().toSeconds());
                sts.put("fetched", cached.fetched().toString());
                sts.put("expires", cached.expires().toString());
                view.put("mta-sts", sts);
            });
            lookup.failure().ifPresent(failure -> {
                Map<String, Object> last = new LinkedHashMap<>();
                last.put("result", failure.tag());
                last.put("detail", lookup.detail());
                view.put("last-failure", last);
            });
            return view;
        });
    }
}
