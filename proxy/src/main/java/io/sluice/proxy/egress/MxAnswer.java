package io.sluice.proxy.egress;

import java.util.List;
import java.util.Objects;
import java.util.random.RandomGenerator;

/** What the MX lookup of a destination domain gave: mail exchangers to try, or why there are none. */
public sealed interface MxAnswer {

    /**
     * Mail exchangers with at least one address each, by preference; equal preferences in the order DNS gave.
     *
     * @param implicit true when the domain has no MX record and its own address is used (RFC 5321 §5.1)
     * @param incomplete true when some address lookups failed for now, so DNS may hold hosts or addresses this
     *     answer lacks
     */
    record Found(List<MxHost> hosts, boolean implicit, boolean incomplete) implements MxAnswer {
        public Found {
            hosts = List.copyOf(hosts);
            if (hosts.isEmpty()) {
                throw new IllegalArgumentException("hosts: [] (expected: at least one)");
            }
        }

        /** The hosts in the order to try them: by preference, in random order among equals (RFC 5321 §5.1). */
        public List<MxHost> ordered(RandomGenerator random) {
            return MxOrder.order(hosts, random);
        }
    }

    record Failed(DnsFailure failure, String detail) implements MxAnswer {
        public Failed {
            Objects.requireNonNull(failure, "failure");
            Objects.requireNonNull(detail, "detail");
        }
    }
}
