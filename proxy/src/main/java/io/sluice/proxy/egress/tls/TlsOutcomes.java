package io.sluice.proxy.egress.tls;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.proxy.egress.tls.TlsRequirement.PolicyType;
import java.net.InetAddress;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Counts how outbound connections met the TLS asked of them, by pool, kind of policy and result: the
 * {@code sluice.egress.tls.outcomes} counter. Every tag value comes from a closed set (pool names are the
 * configuration's), so the series are bounded.
 */
public final class TlsOutcomes {

    private final MeterRegistry registry;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final Map<String, Counter> refusals = new ConcurrentHashMap<>();
    private final TlsReportCounts reports;
    private final boolean reporting;
    private final Set<String> lookingUp;
    private final Map<String, Counter> reportsDelivered = new ConcurrentHashMap<>();

    /** Outcomes for the metrics alone: nothing is kept for reports. */
    public TlsOutcomes(MeterRegistry registry, Iterable<String> pools) {
        this(registry, pools, false, Set.of());
    }

    /**
     * @param reporting whether TLS reports are sent, so that the outcomes are kept for them too
     * @param lookingUp the pools that look policies up ({@code tls: policy}): where they find none, their outcomes
     *     count for the reports as {@code no-policy-found}
     */
    public TlsOutcomes(MeterRegistry registry, Iterable<String> pools, boolean reporting, Set<String> lookingUp) {
        this.registry = registry;
        this.reports = new TlsReportCounts();
        this.reporting = reporting;
        this.lookingUp = Set.copyOf(lookingUp);
        // With reports off too: a dashboard's query over them is defined, and says none were sent.
        for (String method : new String[] {"mailto", "https"}) {
            for (String outcome : new String[] {"sent", "failed"}) {
                reportsDelivered.put(method + ' ' + outcome, Counter.builder("sluice.egress.tls.reports")
                        .tag("method", method).tag("outcome", outcome)
                        .description("TLS reports (RFC 8460) delivered to a report URI of a destination domain, or"
                                + " not, by method (mailto, https)")
                        .register(registry));
            }
        }
        // The series an alert on enforce failures divides by exist from the start.
        for (String pool : pools) {
            for (PolicyType policy : PolicyType.values()) {
                counter(pool, policy, TlsResult.SUCCESS);
                if (policy != PolicyType.NONE) {
                    refusal(pool, policy);
                }
            }
        }
    }

    /** One connection's (or one refused destination's) outcome, for the domain whose policy it was. */
    public void count(String pool, String domain, PolicyType policy, TlsResult result) {
        count(pool, domain, policy, result, "", null, null);
    }

    /**
     * One connection's outcome, for the domain whose policy it was, with where it happened: the MX host, its address
     * and the source address, for the reports' failure details.
     */
    public void count(String pool, String domain, PolicyType policy, TlsResult result, String mxHost,
                      InetAddress receiving, InetAddress sending) {
        counter(pool, policy, result).increment();
        if (reporting && (policy != PolicyType.NONE || lookingUp.contains(pool))) {
            reports.count(domain, policy, result, new TlsReportCounts.Detail(result.reportType(), mxHost,
                    receiving == null ? "" : receiving.getHostAddress(),
                    sending == null ? "" : sending.getHostAddress()));
        }
    }

    /**
     * A mail exchanger (or, where the policy names none of them, a destination) that a policy in force refused to
     * deliver to: the enforced failures, which the MTA gets as {@code 451 4.7.5} where no MX host is left.
     */
    public void refused(String pool, PolicyType policy) {
        refusal(pool, policy).increment();
    }

    private Counter refusal(String pool, PolicyType policy) {
        return refusals.computeIfAbsent(pool + '\0' + policy.tag(), key -> Counter.builder("sluice.egress.tls.refused")
                .tag("pool", pool).tag("policy", policy.tag())
                .description("Mail exchangers (or destinations whose policy names none of theirs) that an enforced"
                        + " destination policy refused delivery to, by pool and kind of policy (sts, tlsa)")
                .register(registry));
    }

    /** A TLS report delivered to a report URI ({@code mailto} or {@code https}), or not. */
    void reportDelivered(String method, boolean sent) {
        reportsDelivered.get(method + ' ' + (sent ? "sent" : "failed")).increment();
    }

    /** The counts per policy domain, from which a daily TLS report (RFC 8460) is built. */
    public TlsReportCounts reports() {
        return reports;
    }

    /** How many outcomes of that kind were counted, for tests and the admin API. */
    public double count(String pool, PolicyType policy, TlsResult result) {
        Counter counter = counters.get(key(pool, policy, result));
        return counter == null ? 0 : counter.count();
    }

    private Counter counter(String pool, PolicyType policy, TlsResult result) {
        return counters.computeIfAbsent(key(pool, policy, result), key -> Counter.builder("sluice.egress.tls.outcomes")
                .tag("pool", pool).tag("policy", policy.tag()).tag("result", result.tag())
                .description("Outbound connections by how they met the TLS asked of them: pool, kind of policy"
                        + " (sts, tlsa, none for the pool's own) and result (success or the RFC 8460 failure)")
                .register(registry));
    }

    private static String key(String pool, PolicyType policy, TlsResult result) {
        return pool + '\0' + policy.tag() + '\0' + result.tag();
    }
}
