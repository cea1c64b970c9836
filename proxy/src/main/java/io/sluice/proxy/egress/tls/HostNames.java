package io.sluice.proxy.egress.tls;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Host names against the names that stand for them: an MTA-STS policy's {@code mx} patterns (RFC 8461 §4.1) and a
 * certificate's DNS names (RFC 6125 §6.4, which DANE-TA and MTA-STS both use). One rule for all: equal ignoring case
 * and a final dot, or {@code *.} and a domain of two labels at least, the wildcard standing for exactly the host's
 * leftmost label.
 */
final class HostNames {

    private static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

    private HostNames() {}

    /** Whether the host is the one the pattern names, or one its wildcard stands for. */
    static boolean matches(String pattern, String host) {
        String name = normalise(host);
        String wanted = normalise(pattern);
        if (wanted.startsWith("*.")) {
            if (!isPattern(wanted)) {
                return false;
            }
            String parent = wanted.substring(1);
            if (!name.endsWith(parent)) {
                return false;
            }
            String label = name.substring(0, name.length() - parent.length());
            return !label.isEmpty() && label.indexOf('.') < 0;
        }
        return !wanted.isEmpty() && name.equals(wanted);
    }

    /** Whether the text (lower case) is a host name or {@code *.} and a domain of two labels at least. */
    static boolean isPattern(String pattern) {
        String name = pattern.startsWith("*.") ? pattern.substring(2) : pattern;
        if (name.isEmpty() || name.length() > 253) {
            return false;
        }
        String[] labels = name.split("\\.", -1);
        // A wildcard over a top-level domain would let any host of it in.
        if (pattern.startsWith("*.") && labels.length < 2) {
            return false;
        }
        for (String label : labels) {
            if (!LABEL.matcher(label).matches()) {
                return false;
            }
        }
        return true;
    }

    /** The certificate's DNS names: its subjectAltName dNSName entries, lower case. */
    static List<String> dnsNames(X509Certificate certificate) {
        List<String> names = new ArrayList<>();
        try {
            Collection<List<?>> alternatives = certificate.getSubjectAlternativeNames();
            if (alternatives != null) {
                for (List<?> alternative : alternatives) {
                    // 2: dNSName (RFC 5280 §4.2.1.6).
                    if (alternative.size() >= 2 && Integer.valueOf(2).equals(alternative.get(0))
                            && alternative.get(1) instanceof String dns) {
                        names.add(dns.toLowerCase(Locale.ROOT));
                    }
                }
            }
        } catch (CertificateParsingException e) {
            return List.of();
        }
        return names;
    }

    static String normalise(String host) {
        String name = host.toLowerCase(Locale.ROOT);
        return name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
    }
}
