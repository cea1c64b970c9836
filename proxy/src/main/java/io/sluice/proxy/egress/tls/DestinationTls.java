package io.sluice.proxy.egress.tls;

import io.sluice.proxy.egress.tls.TlsRequirement.PolicyType;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The TLS a destination domain's mail goes with, from one pool: per MX host, DANE where the host has secure TLSA
 * records (and no delivery at all where DNSSEC refuses the host), else the domain's MTA-STS policy where it has one
 * in force, else the pool's own requirement: RFC 8461 §2 and RFC 7672 §2.2 give DANE precedence over MTA-STS.
 *
 * @param domain the destination domain
 * @param pool the egress pool, for the outcome counters
 * @param dane DANE's verdict on each MX host, by host name; empty where DANE does not apply to the pool
 * @param sts the MTA-STS policy in force, if any (not of mode {@code none})
 * @param otherwise what the pool asks where no policy applies
 */
public record DestinationTls(String domain, String pool, Map<String, DaneVerdict> dane,
                             Optional<MtaStsPolicies.Cached> sts, TlsRequirement otherwise) {

    public DestinationTls {
        Objects.requireNonNull(domain, "domain");
        Objects.requireNonNull(pool, "pool");
        dane = Map.copyOf(dane);
        Objects.requireNonNull(sts, "sts");
        Objects.requireNonNull(otherwise, "otherwise");
    }

    /** The pool's own requirement for every host: no policy is looked up. */
    public static DestinationTls poolOnly(String domain, String pool, TlsRequirement requirement) {
        return new DestinationTls(domain, pool, Map.of(), Optional.empty(), requirement);
    }

    /**
     * What the connection to the MX host must have; empty when a policy in force rules the host out: DNSSEC
     * answers about it that were bogus or could not be had (RFC 7672 §2.1.1), or an MTA-STS policy in {@code enforce}
     * that does not name it (RFC 8461 §4.1).
     */
    public Optional<TlsRequirement> forHost(String host) {
        DaneVerdict verdict = dane.get(host);
        if (verdict instanceof DaneVerdict.Applies applies) {
            return Optional.of(new TlsRequirement.Dane(applies));
        }
        if (verdict instanceof DaneVerdict.Refused) {
            return Optional.empty();
        }
        if (sts.isPresent()) {
            MtaStsPolicy policy = sts.get().policy();
            boolean listed = policy.matches(host);
            if (policy.mode() == MtaStsPolicy.Mode.ENFORCE) {
                return listed ? Optional.of(new TlsRequirement.NameChecked(PolicyType.STS, true, true))
                        : Optional.empty();
            }
            return Optional.of(new TlsRequirement.NameChecked(PolicyType.STS, false, listed));
        }
        return Optional.of(otherwise);
    }

    /** The hosts a policy leaves to deliver to, in the order given. */
    public <H> List<H> permitted(List<H> hosts, java.util.function.Function<H, String> name) {
        return hosts.stream().filter(host -> forHost(name.apply(host)).isPresent()).toList();
    }

    /** Whether DNSSEC refused the host: its TLSA or the domain's MX answers were bogus or could not be had. */
    public boolean daneRefused(String host) {
        return dane.get(host) instanceof DaneVerdict.Refused;
    }

    /** The kind of policy in force for the domain, for counters where no host is concerned. */
    public PolicyType policy() {
        return dane.values().stream().anyMatch(verdict -> !(verdict instanceof DaneVerdict.NotApplicable))
                ? PolicyType.TLSA : sts.isPresent() ? PolicyType.STS : PolicyType.NONE;
    }
}
