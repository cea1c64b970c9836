package io.sluice.proxy.egress.tls;

import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.sluice.config.EgressConfig;
import io.sluice.config.EgressTls;
import io.sluice.policy.cluster.ClusterNode;
import io.sluice.proxy.egress.tls.TlsRequirement.PolicyType;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;
import org.xbill.DNS.Resolver;

/**
 * Chooses the TLS of each delivery: a pool of {@code tls: none}, {@code opportunistic} or {@code required} gets what
 * it says; a pool of {@code tls: policy} gets, per MX host, DANE where the host has usable TLSA records (RFC 7672
 * §2.2 gives DANE precedence), else the destination's MTA-STS policy in force (RFC 8461), else opportunistic TLS.
 */
public final class TlsPolicies {

    private final MtaStsPolicies sts;
    private final TlsTrust trust;
    private final TlsOutcomes outcomes;

    TlsPolicies(MtaStsPolicies sts, TlsTrust trust, TlsOutcomes outcomes) {
        this.sts = sts;
        this.trust = trust;
        this.outcomes = outcomes;
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
        TlsTrust trust = TlsTrust.of(egress.mtaSts().trustedAuthorities());
        MtaStsFetcher fetcher = new MtaStsFetcher(dns, permitted, trust.clientContext(), group, channelClass,
                egress.mtaSts());
        MtaStsPolicies.SharedPolicies shared = cluster.<MtaStsPolicies.SharedPolicies>map(ClusterMtaStsPolicies::new)
                .orElse(MtaStsPolicies.SharedPolicies.NONE);
        return new TlsPolicies(new MtaStsPolicies(fetcher, shared, egress.mtaSts(), Clock.systemUTC()), trust,
                new TlsOutcomes(registry, egress.pools().keySet()));
    }

    /**
     * The TLS of a delivery to the domain from the pool, whose MX hosts are given; never completes exceptionally.
     *
     * @param domain the destination domain, lower case
     */
    public CompletableFuture<DestinationTls> forDomain(String domain, String pool, EgressTls mode,
                                                      List<String> mxHosts) {
        return switch (mode) {
            case NONE -> CompletableFuture.completedFuture(DestinationTls.poolOnly(domain, pool, TlsRequirement.PLAIN));
            case OPPORTUNISTIC -> CompletableFuture.completedFuture(
                    DestinationTls.poolOnly(domain, pool, TlsRequirement.OPPORTUNISTIC));
            case REQUIRED -> CompletableFuture.completedFuture(
                    DestinationTls.poolOnly(domain, pool, TlsRequirement.POOL_REQUIRED));
            case POLICY -> dane(domain, mxHosts).thenCompose(dane -> sts.lookup(domain).thenApply(lookup -> {
                Optional<MtaStsPolicies.Cached> inForce = lookup.policy()
                        .filter(cached -> cached.policy().mode() != MtaStsPolicy.Mode.NONE);
                if (inForce.isEmpty() && lookup.failure().isPresent()) {
                    // RFC 8460 reports a policy that could not be had; the delivery goes on as if there were none.
                    outcomes.count(pool, domain, PolicyType.STS, lookup.failure().get());
                }
                return new DestinationTls(domain, pool, dane, inForce, TlsRequirement.OPPORTUNISTIC);
            }));
        };
    }

    /**
     * The seam of DANE (RFC 7672): the requirement of each MX host with usable (DNSSEC-validated) TLSA records.
     * None yet: every host falls through to MTA-STS and the pool's mode.
     */
    CompletableFuture<Map<String, TlsRequirement>> dane(String domain, List<String> mxHosts) {
        return CompletableFuture.completedFuture(Map.of());
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
