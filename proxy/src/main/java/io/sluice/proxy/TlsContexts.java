package io.sluice.proxy;

import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.sluice.config.TlsConfig;
import javax.net.ssl.SSLException;

/** Builds TLS contexts: BoringSSL through netty-tcnative where it loads, the JDK's TLS otherwise. */
public final class TlsContexts {

    private TlsContexts() {}

    public static SslProvider provider() {
        return OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
    }

    /** The server side of STARTTLS on a listener, from PEM certificate chain and key files. */
    public static SslContext server(TlsConfig config) throws SSLException {
        return SslContextBuilder.forServer(config.cert().toFile(), config.key().toFile())
                .sslProvider(provider())
                .protocols("TLSv1.3", "TLSv1.2")
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

    /** The client side of STARTTLS that checks the server's chain against the JDK's trusted authorities. */
    public static SslContext verifyingClient() throws SSLException {
        return SslContextBuilder.forClient()
                .sslProvider(provider())
                .build();
    }
}
