package io.sluice.proxy.egress.tls;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Set;
import javax.security.auth.x500.X500Principal;
import org.xbill.DNS.TLSARecord;

/**
 * Checks a server's certificate chain against the usable TLSA records of its MX host, as RFC 7672 §3.1 and RFC 7671
 * say for SMTP: DANE-EE(3) matches the leaf alone and ignores its names and dates (RFC 7672 §3.1.1); DANE-TA(2)
 * matches a certificate of the chain above the leaf, which must then issue the leaf through the chain, in date, for
 * one of the reference names (RFC 7672 §3.1.2, §3.2.2). PKIX-TA(0) and PKIX-EE(1) are unusable in SMTP, where no
 * set of public authorities is agreed (RFC 7672 §3.1.3).
 */
public final class TlsaMatcher {

    /** The subjectAltName extension (RFC 5280 §4.2.1.6). */
    private static final String SUBJECT_ALTERNATIVE_NAME = "2.5.29.17";

    /** The outcome of the check: whether a record matched, and which, or why none did. */
    public record TlsaMatch(boolean matched, String detail) {}

    private TlsaMatcher() {}

    /** Whether the record is one an SMTP client may use: DANE-TA or DANE-EE, a known selector and matching type. */
    public static boolean usable(TLSARecord record) {
        int usage = record.getCertificateUsage();
        return (usage == TLSARecord.CertificateUsage.TRUST_ANCHOR_ASSERTION
                        || usage == TLSARecord.CertificateUsage.DOMAIN_ISSUED_CERTIFICATE)
                && (record.getSelector() == TLSARecord.Selector.FULL_CERTIFICATE
                        || record.getSelector() == TLSARecord.Selector.SUBJECT_PUBLIC_KEY_INFO)
                && digest(record.getMatchingType()) != null;
    }

    /**
     * Checks the chain the server sent, leaf first, against the records (unusable ones are skipped).
     *
     * @param names the reference identifiers for DANE-TA: the TLSA base domain and the MX host name
     * @param now when the chain must be valid, for DANE-TA
     */
    public static TlsaMatch check(List<TLSARecord> records, List<X509Certificate> chain, Collection<String> names,
                                  Instant now) {
        if (chain.isEmpty()) {
            return new TlsaMatch(false, "no certificate");
        }
        for (TLSARecord record : records) {
            if (usable(record) && record.getCertificateUsage() == TLSARecord.CertificateUsage.DOMAIN_ISSUED_CERTIFICATE
                    && matches(record, chain.get(0))) {
                return new TlsaMatch(true, "DANE-EE " + parameters(record));
            }
        }
        String why = "no TLSA record matches the certificate chain";
        for (TLSARecord record : records) {
            if (!usable(record) || record.getCertificateUsage() != TLSARecord.CertificateUsage.TRUST_ANCHOR_ASSERTION) {
                continue;
            }
            for (int i = 1; i < chain.size(); i++) {
                if (!matches(record, chain.get(i))) {
                    continue;
                }
                String failure = issuedThrough(chain.subList(0, i), chain.get(i), now);
                if (failure == null) {
                    failure = nameFailure(chain.get(0), names);
                }
                if (failure == null) {
                    return new TlsaMatch(true, "DANE-TA " + parameters(record));
                }
                why = "DANE-TA " + parameters(record) + " matches, but " + failure;
            }
        }
        return new TlsaMatch(false, why);
    }

    /** Whether the record's association data is that of the certificate, by its selector and matching type. */
    static boolean matches(TLSARecord record, X509Certificate certificate) {
        byte[] selected;
        try {
            selected = record.getSelector() == TLSARecord.Selector.FULL_CERTIFICATE ? certificate.getEncoded()
                    : certificate.getPublicKey().getEncoded();
        } catch (GeneralSecurityException e) {
            return false;
        }
        return MessageDigest.isEqual(associationData(record.getMatchingType(), selected),
                record.getCertificateAssociationData());
    }

    /** The association data of the selected bytes by the matching type (RFC 6698 §2.1.3); null for an unknown one. */
    static byte[] associationData(int matchingType, byte[] selected) {
        String algorithm = digest(matchingType);
        if (algorithm == null) {
            return null;
        }
        if (algorithm.isEmpty()) {
            return selected.clone();
        }
        try {
            return MessageDigest.getInstance(algorithm).digest(selected);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(algorithm + " is part of every JDK", e);
        }
    }

    private static String digest(int matchingType) {
        return switch (matchingType) {
            case TLSARecord.MatchingType.EXACT -> "";
            case TLSARecord.MatchingType.SHA256 -> "SHA-256";
            case TLSARecord.MatchingType.SHA512 -> "SHA-512";
            default -> null;
        };
    }

    private static String parameters(TLSARecord record) {
        return record.getCertificateUsage() + " " + record.getSelector() + " " + record.getMatchingType();
    }

    /** Null when the anchor issues the leaf through the certificates between them, each in date; else why not. */
    private static String issuedThrough(List<X509Certificate> path, X509Certificate anchor, Instant now) {
        try {
            PKIXParameters parameters = new PKIXParameters(Set.of(new TrustAnchor(anchor, null)));
            // No revocation: DANE-TA trusts the domain's own anchor, not a public authority's lists (RFC 7671 §5.2.2).
            parameters.setRevocationEnabled(false);
            parameters.setDate(Date.from(now));
            CertPathValidator.getInstance("PKIX").validate(
                    CertificateFactory.getInstance("X.509").generateCertPath(path), parameters);
            return null;
        } catch (GeneralSecurityException e) {
            return "the chain does not lead to it: " + e.getMessage();
        }
    }

    /** Null when the leaf is for one of the names (its DNS subject alternative names, else its common name). */
    private static String nameFailure(X509Certificate leaf, Collection<String> names) {
        List<String> presented = presentedNames(leaf);
        for (String name : names) {
            for (String pattern : presented) {
                if (HostNames.matches(pattern, name)) {
                    return null;
                }
            }
        }
        return "the certificate is for " + presented + ", not " + names;
    }

    static List<String> presentedNames(X509Certificate leaf) {
        List<String> names = new ArrayList<>(HostNames.dnsNames(leaf));
        if (leaf.getExtensionValue(SUBJECT_ALTERNATIVE_NAME) == null) {
            // RFC 7672 §3.2.3: without DNS names, the common name is checked.
            for (String part : leaf.getSubjectX500Principal().getName(X500Principal.RFC2253).split(",")) {
                if (part.startsWith("CN=")) {
                    names.add(part.substring(3));
                }
            }
        }
        return names;
    }
}
