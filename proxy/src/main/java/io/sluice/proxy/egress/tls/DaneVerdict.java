package io.sluice.proxy.egress.tls;

import java.util.List;
import org.xbill.DNS.TLSARecord;

/**
 * What DANE (RFC 7672 §2.2) says of one MX host, from DNSSEC-validated lookups of the domain's MX RRset and the
 * host's TLSA RRset: DANE applies (its records decide the handshake), it does not apply (the pool's mode or another
 * policy decides), or the host must not be used at all.
 */
public sealed interface DaneVerdict {

    /** The value of the {@code result} tag of {@code sluice.egress.dane} this verdict counts as. */
    String result();

    /**
     * Secure TLSA records: STARTTLS is mandatory, and the chain must match one of {@code usable}. With only unusable
     * records (PKIX-TA/EE, unknown parameters) TLS is still mandatory but the server is not authenticated
     * (RFC 7672 §2.2).
     *
     * @param baseDomain the TLSA base domain: the MX host name, a reference identifier for DANE-TA
     * @param usable the DANE-TA(2) and DANE-EE(3) records with known selectors and matching types
     */
    record Applies(String baseDomain, List<TLSARecord> usable) implements DaneVerdict {
        public Applies {
            usable = List.copyOf(usable);
        }

        /** Whether the server is authenticated by its records, or only encrypted to. */
        public boolean authenticates() {
            return !usable.isEmpty();
        }

        @Override
        public String result() {
            return authenticates() ? "dane" : "unusable";
        }
    }

    /** DANE does not apply: the MX or TLSA RRset is insecure, or is securely absent. */
    record NotApplicable(Reason reason) implements DaneVerdict {
        @Override
        public String result() {
            return reason.tag;
        }
    }

    /** The host must not be used: the answer was bogus or could not be had (RFC 7672 §2.1.1, §2.2). */
    record Refused(Reason reason, String detail) implements DaneVerdict {
        @Override
        public String result() {
            return reason.tag;
        }
    }

    /** Why a verdict is what it is, as the metric's tag. */
    enum Reason {
        /** The domain's MX RRset is not signed along a chain from the trust anchor (RFC 7672 §2.2.1). */
        INSECURE_MX("insecure"),
        /** The host's TLSA RRset is not signed along a chain from the trust anchor. */
        INSECURE_TLSA("insecure"),
        /** Authenticated denial: the host securely has no TLSA records. */
        NO_RECORDS("no-records"),
        /** A signature or denial failed validation. */
        BOGUS("bogus"),
        /** No answer, or a server failure not known to be a validation failure. */
        LOOKUP_FAILED("lookup-failed");

        private final String tag;

        Reason(String tag) {
            this.tag = tag;
        }

        public String tag() {
            return tag;
        }
    }
}
