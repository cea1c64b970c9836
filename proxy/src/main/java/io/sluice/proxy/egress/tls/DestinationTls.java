package io.sluice.proxy.egress.tls;

import io.sluice.proxy.egress.tls.TlsRequirement.PolicyType;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The TLS a destination domain's mail goes with, from one pool: per MX host, DANE where the host has usable TLSA
 * records, else the domain's MTA-STS policy where it has one in force, else the pool's own requirement.
 *
 * @param domain the destination domain
 * @param pool the egress pool, for the outcome counters
 * @param dane the requirement of each MX host with usable TLSA records
 * @param sts the MTA-STS policy in force, if any (not of mode {@code none})
 * @param otherwise what the pool asks where no policy applies
 */
public record DestinationTls(String domain, String pool, Map<String, TlsRequirement> dane,
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
     * What the connection to the MX host must have; empty when a policy in force rules the host out: an MTA-STS
     * policy in {@code enforce} that does not name it (RFC 8461 §4.1).
     */
    public Optional<TlsRequirement> forHost(String host) {
        TlsRequirement byDane = dane.get(host);
        if (byDane != null) {
            return Optional.of(byDane);
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

    /** The kind of policy in force for the domain, for counters where no host is concerned. */
    public PolicyType policy() {
        return !dane.isEmpty() ? PolicyType.TLSA : sts.isPresent() ? PolicyType.STS : PolicyType.NONE;
    }
}
