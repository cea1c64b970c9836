package io.sluice.proxy.egress.tls;

import static net.logstash.logback.argument.StructuredArguments.kv;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.config.DaneMode;
import io.sluice.config.EgressTls;
import io.sluice.proxy.egress.tls.TlsaMatcher.TlsaMatch;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DANE for deliveries (RFC 7672): which MX hosts of a destination it binds, and the check of a server's chain after
 * the STARTTLS handshake. Which pools it applies to is {@code egress.dns.dane}'s: left out, those of {@code tls:
 * policy}, once the resolvers are seen to pass DNSSEC records on (the trust anchor's own DNSKEY RRset validates);
 * {@code true}, every pool with TLS, unconditionally. For a host with secure TLSA records DANE overrides the pool's
 * mode and the domain's MTA-STS policy (RFC 7672 §2.2, RFC 8461 §2); a pool with {@code tls: none} never asks.
 * Counts every outcome in {@code sluice.egress.dane} by pool and result.
 */
public final class DanePolicy {

    /** Every value of the {@code result} tag: lookup outcomes, then handshake outcomes of hosts DANE binds. */
    public static final List<String> RESULTS = List.of("insecure", "no-records", "bogus", "lookup-failed",
            "unusable", "verified", "mismatch", "no-starttls");

    private static final Logger log = LoggerFactory.getLogger(DanePolicy.class);
    /** How long a failed look at the resolvers stands before the next delivery looks again. */
    static final Duration PROBE_RETRY = Duration.ofMinutes(5);

    private final DaneResolver resolver;
    private final DaneMode mode;
    private final Clock clock;
    private Probe probe;
    private final MeterRegistry registry;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();

    /** DANE for every pool with TLS, the resolvers trusted to pass DNSSEC records on ({@code dane: true}). */
    public DanePolicy(DaneResolver resolver, Clock clock, MeterRegistry registry) {
        this(resolver, DaneMode.TLS_POOLS, clock, registry);
    }

    /** @param mode which pools DANE applies to; not {@link DaneMode#OFF} */
    public DanePolicy(DaneResolver resolver, DaneMode mode, Clock clock, MeterRegistry registry) {
        if (mode == DaneMode.OFF) {
            throw new IllegalArgumentException("mode: OFF (expected: no DanePolicy at all)");
        }
        this.resolver = resolver;
        this.mode = mode;
        this.clock = clock;
        this.registry = registry;
    }

    /** Registers the pool's series at 0, so that rates over them are defined before the first delivery. */
    public void register(String pool) {
        RESULTS.forEach(result -> counter(pool, result));
    }

    /**
     * The verdict for each host of the destination, by host name; none (an empty map) for a pool DANE does not apply
     * to. Each lookup outcome but "DANE applies" is counted here; a host DANE binds is counted at its handshake.
     */
    public CompletableFuture<Map<String, DaneVerdict>> assess(String pool, EgressTls tls, String domain,
                                                              List<String> hosts) {
        if (tls == EgressTls.NONE || mode == DaneMode.POLICY_POOLS && tls != EgressTls.POLICY) {
            return CompletableFuture.completedFuture(Map.of());
        }
        if (mode == DaneMode.TLS_POOLS) {
            return lookup(pool, domain, hosts);
        }
        return resolversValidate().thenCompose(validate -> validate ? lookup(pool, domain, hosts)
                : CompletableFuture.completedFuture(Map.of()));
    }

    private CompletableFuture<Map<String, DaneVerdict>> lookup(String pool, String domain, List<String> hosts) {
        return resolver.assess(domain, hosts).thenApply(verdicts -> {
            verdicts.values().forEach(verdict -> {
                if (!(verdict instanceof DaneVerdict.Applies applies) || !applies.authenticates()) {
                    counted(pool, verdict.result());
                }
            });
            return verdicts;
        });
    }

    /**
     * Checks the chain the server presented against the records; counts {@code verified} or {@code mismatch}.
     *
     * @param mxHost the MX host name, a reference identifier for DANE-TA beside the TLSA base domain
     */
    public TlsaMatch check(String pool, DaneVerdict.Applies dane, List<X509Certificate> chain, String mxHost) {
        TlsaMatch match = dane.authenticates()
                ? TlsaMatcher.check(dane.usable(), chain, List.of(dane.baseDomain(), mxHost), clock.instant())
                : new TlsaMatch(true, "only unusable TLSA records: encrypted, not authenticated");
        if (dane.authenticates()) {
            counted(pool, match.matched() ? "verified" : "mismatch");
        }
        return match;
    }

    /**
     * Whether the resolvers pass DNSSEC records on, as DANE left to its default needs: looked at once, again
     * {@link #PROBE_RETRY} after a look that failed; each change logged. A resolver that strips them would make every
     * signed destination look bogus, and so undeliverable.
     */
    synchronized CompletableFuture<Boolean> resolversValidate() {
        Probe current = probe;
        if (current == null || current.result().isDone() && !current.result().join()
                && clock.instant().isAfter(current.at().plus(PROBE_RETRY))) {
            boolean before = current != null && current.result().join();
            probe = new Probe(resolver.validatesAnchor().thenApply(validates -> {
                if (validates != before || current == null) {
                    if (validates) {
                        log.info("dane on: the egress resolvers pass dnssec records on", kv("dane", "policy-pools"));
                    } else {
                        log.warn("dane off: the egress resolvers pass no validating dnssec records on; pools of tls"
                                + " policy use mta-sts alone until they do (egress.dns.dane: true requires dane,"
                                + " false turns it off)", kv("dane", "policy-pools"));
                    }
                }
                return validates;
            }), clock.instant());
        }
        return probe.result();
    }

    private record Probe(CompletableFuture<Boolean> result, Instant at) {}

    /** Counts a host DANE binds whose server offered no STARTTLS. */
    public void noStartTls(String pool) {
        counted(pool, "no-starttls");
    }

    private void counted(String pool, String result) {
        counter(pool, result).increment();
    }

    private Counter counter(String pool, String result) {
        return counters.computeIfAbsent(pool + "\n" + result, key -> Counter.builder("sluice.egress.dane")
                .tag("pool", pool).tag("result", result)
                .description("DANE outcomes for MX hosts, by pool and result (RFC 7672)").register(registry));
    }
}
