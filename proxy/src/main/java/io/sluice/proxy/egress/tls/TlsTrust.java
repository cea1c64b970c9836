package io.sluice.proxy.egress.tls;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.sluice.proxy.TlsContexts;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertPathValidatorException;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * The certificate authorities trusted for the web PKI checks of outbound TLS (the MTA-STS policy host, and MX hosts
 * a policy or the pool requires a valid certificate of): those of a PEM file, or the JDK's. Checks a chain the
 * remote presented for the name it should be valid for, telling why it is not.
 */
public final class TlsTrust {

    private final TrustManagerFactory factory;
    private final X509TrustManager manager;

    private TlsTrust(TrustManagerFactory factory) {
        this.factory = factory;
        X509TrustManager found = null;
        for (TrustManager candidate : factory.getTrustManagers()) {
            if (candidate instanceof X509TrustManager x509) {
                found = x509;
            }
        }
        if (found == null) {
            throw new IllegalStateException("no X.509 trust manager");
        }
        this.manager = found;
    }

    /** The authorities of the PEM file, or the JDK's when there is none. */
    public static TlsTrust of(Optional<Path> authorities) throws IOException {
        try {
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            if (authorities.isEmpty()) {
                factory.init((KeyStore) null);
                return new TlsTrust(factory);
            }
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            try (InputStream in = Files.newInputStream(authorities.get())) {
                int index = 0;
                for (Certificate certificate : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                    store.setCertificateEntry("authority-" + index++, certificate);
                }
                if (index == 0) {
                    throw new IOException(authorities.get() + " holds no PEM certificate");
                }
            }
            factory.init(store);
            return new TlsTrust(factory);
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot read the trusted authorities of " + authorities.orElse(null) + ": " + e, e);
        }
    }

    /** A client context checking the server's chain against these authorities (the host name is the caller's). */
    SslContext clientContext() throws SSLException {
        return SslContextBuilder.forClient().sslProvider(TlsContexts.provider()).trustManager(factory).build();
    }

    /**
     * Whether the chain is valid now, from one of these authorities, for the host name (a DNS-ID of the end-entity
     * certificate, RFC 6125 §6.4, a wildcard standing for the leftmost label only); otherwise the reason.
     */
    public TlsResult check(List<X509Certificate> chain, String host) {
        if (chain.isEmpty()) {
            return TlsResult.CERTIFICATE_NOT_TRUSTED;
        }
        try {
            // TLS 1.3 negotiates no key exchange of the certificate's: the JDK checks its chains with "UNKNOWN" too.
            manager.checkServerTrusted(chain.toArray(X509Certificate[]::new), "UNKNOWN");
        } catch (CertificateException e) {
            return expired(e) ? TlsResult.CERTIFICATE_EXPIRED : TlsResult.CERTIFICATE_NOT_TRUSTED;
        } catch (RuntimeException e) {
            return TlsResult.VALIDATION_FAILURE;
        }
        return namesHost(chain.get(0), host) ? TlsResult.SUCCESS : TlsResult.CERTIFICATE_HOST_MISMATCH;
    }

    private static boolean expired(Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof CertificateExpiredException || cause instanceof CertificateNotYetValidException
                    || cause instanceof CertPathValidatorException path
                    && path.getReason() == CertPathValidatorException.BasicReason.EXPIRED) {
                return true;
            }
            if (cause.getCause() == cause) {
                break;
            }
        }
        return false;
    }

    /** Whether one of the certificate's DNS names (subjectAltName dNSName) is the host's. */
    static boolean namesHost(X509Certificate certificate, String host) {
        return HostNames.dnsNames(certificate).stream().anyMatch(name -> HostNames.matches(name, host));
    }
}
