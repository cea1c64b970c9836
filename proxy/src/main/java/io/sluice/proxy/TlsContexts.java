package io.sluice.proxy;

import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.sluice.config.TlsConfig;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLException;

/**
 * Builds TLS contexts: BoringSSL through netty-tcnative where it loads, the JDK's TLS otherwise.
 *
 * <p>Listeners speak TLS 1.3 and TLS 1.2 with forward-secret AEAD suites only (RFC 9325 §4.2). The client sides
 * keep the provider's defaults: towards a remote MX, TLS is opportunistic (RFC 7435), and a suite refused there means
 * the message goes in clear or not at all, which is worse than any suite the provider still offers.
 */
public final class TlsContexts {

    /** The protocols a listener accepts, newest first. */
    public static final List<String> SERVER_PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

    /**
     * The suites a listener accepts, in the server's order of preference: every TLS 1.3 suite both providers
     * implement (all are AEAD with ephemeral key exchange), and for TLS 1.2 ECDHE with AES-GCM or ChaCha20-Poly1305,
     * for ECDSA and RSA certificates. No static RSA (no forward secrecy), no CBC (Lucky13-style padding oracles), no
     * finite-field DHE (RFC 7919's negotiation is rarely supported, so group sizes are guesswork).
     */
    public static final List<String> SERVER_CIPHERS = List.of(
            "TLS_AES_128_GCM_SHA256",
            "TLS_AES_256_GCM_SHA384",
            "TLS_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

    private TlsContexts() {}

    public static SslProvider provider() {
        return OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
    }

    /**
     * The server side of STARTTLS on a listener, from PEM certificate chain and key files, with the given provider
     * (tests hold both providers to the same suites).
     */
    public static SslContext server(TlsConfig config, SslProvider provider) throws SSLException {
        return serverSettings(SslContextBuilder.forServer(config.cert().toFile(), config.key().toFile()), provider);
    }

    /** The server side of STARTTLS from a certificate chain and its key already loaded. */
    static SslContext server(X509Certificate[] chain, PrivateKey key, SslProvider provider) throws SSLException {
        return serverSettings(SslContextBuilder.forServer(key, chain), provider);
    }

    private static SslContext serverSettings(SslContextBuilder builder, SslProvider provider) throws SSLException {
        // Names are the IANA ones, which both providers understand; a suite the provider lacks is left out.
        return builder
                .sslProvider(provider)
                .protocols(SERVER_PROTOCOLS)
                .ciphers(SERVER_CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
                .build();
    }

    /**
     * The client side of STARTTLS towards backend MTAs inside the cluster: encryption without certificate
     * checks, as backends typically present self-signed certificates.
     */
    public static SslContext backendClient() throws SSLException {
        return SslContextBuilder.forClient()
                .sslProvider(provider())
                .trustManager(InsecureTrustManagerFactory.INSTANCE)
                .build();
    }
}
