package io.sluice.proxy.egress.tls;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.config.EgressTls;
import io.sluice.proxy.egress.tls.TlsaMatcher.TlsaMatch;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * DANE for deliveries (RFC 7672): which MX hosts of a destination it binds, and the check of a server's chain after
 * the STARTTLS handshake. It applies to pools that use TLS at all ({@code opportunistic} and {@code required}): for a
 * host with secure TLSA records DANE overrides the pool's mode (RFC 7672 §2.2); a pool with {@code tls: none} never
 * asks. Counts every outcome in {@code sluice.egress.dane} by pool and result.
 */
public final class DanePolicy {

    /** Every value of the {@code result} tag: lookup outcomes, then handshake outcomes of hosts DANE binds. */
    public static final List<String> RESULTS = List.of("insecure", "no-records", "bogus", "lookup-failed",
            "unusable", "verified", "mismatch", "no-starttls");

    private final DaneResolver resolver;
    private final Clock clock;
    private final MeterRegistry registry;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();

    public DanePolicy(DaneResolver resolver, Clock clock, MeterRegistry registry) {
        this.resolver = resolver;
        this.clock = clock;
        this.registry = registry;
    }

    /** Registers the pool's series at 0, so that rates over them are defined before the first delivery. */
    public void register(String pool) {
        RESULTS.forEach(result -> counter(pool, result));
    }

    /**
     * The verdict for each host of the destination, by host name; none (an empty map) for a pool without TLS. Each
     * lookup outcome but "DANE applies" is counted here; a host DANE binds is counted at its handshake.
     */
    public CompletableFuture<Map<String, DaneVerdict>> assess(String pool, EgressTls tls, String domain,
                                                              List<String> hosts) {
        if (tls == EgressTls.NONE) {
            return CompletableFuture.completedFuture(Map.of());
        }
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
