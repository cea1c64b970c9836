package io.sluice.proxy.egress.tls;

import java.util.Objects;

/**
 * What TLS the connection to one mail exchanger must have before a message goes over it, as the connector applies
 * it: chosen per destination domain and MX host by {@link TlsPolicies}.
 */
public sealed interface TlsRequirement {

    /** Plain SMTP, even where the remote offers STARTTLS. */
    TlsRequirement PLAIN = new Plain();
    /** STARTTLS where offered, certificate unchecked (RFC 7435). */
    TlsRequirement OPPORTUNISTIC = new Opportunistic();
    /** The pool's own {@code required}: STARTTLS with a certificate valid for the MX host name. */
    TlsRequirement POOL_REQUIRED = new NameChecked(PolicyType.NONE, true, true);

    /** Where the requirement comes from, the {@code policy} tag of the outcome counters. */
    PolicyType policy();

    /** Plain SMTP. */
    record Plain() implements TlsRequirement {
        @Override
        public PolicyType policy() {
            return PolicyType.NONE;
        }
    }

    /** STARTTLS where offered, without certificate checks. */
    record Opportunistic() implements TlsRequirement {
        @Override
        public PolicyType policy() {
            return PolicyType.NONE;
        }
    }

    /**
     * STARTTLS with a certificate chain valid (PKIX, against the trusted authorities) for the MX host name
     * (RFC 8461 §4.2).
     *
     * @param policy the policy that asks for it
     * @param enforced true: no delivery over a connection that fails; false (MTA-STS {@code testing}): the failure is
     *     counted and the message delivered all the same, over TLS where offered
     * @param listed whether the MX host is one the policy names; only a policy not enforced lets an unnamed host be
     *     used (counted as a failure)
     */
    record NameChecked(PolicyType policy, boolean enforced, boolean listed) implements TlsRequirement {
        public NameChecked {
            Objects.requireNonNull(policy, "policy");
            if (enforced && !listed) {
                throw new IllegalArgumentException("an enforced policy never lets an unnamed MX host be used");
            }
        }
    }

    /**
     * RFC 7672 §2.2: the MX host has secure TLSA records. STARTTLS is mandatory and the chain must match one of the
     * usable records (with none usable, TLS is mandatory but the server is not authenticated); a failure is always
     * enforced, whatever the pool's mode or the domain's MTA-STS policy.
     */
    record Dane(DaneVerdict.Applies verdict) implements TlsRequirement {
        public Dane {
            Objects.requireNonNull(verdict, "verdict");
        }

        @Override
        public PolicyType policy() {
            return PolicyType.TLSA;
        }
    }

    /** The kind of policy a requirement comes from, as RFC 8460 §4.3 names them (and the pool's own, none). */
    enum PolicyType {
        NONE("none"), STS("sts"), TLSA("tlsa");

        private final String tag;

        PolicyType(String tag) {
            this.tag = tag;
        }

        public String tag() {
            return tag;
        }
    }
}
