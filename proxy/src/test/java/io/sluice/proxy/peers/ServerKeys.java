package io.sluice.proxy.peers;

import io.netty.handler.ssl.util.SelfSignedCertificate;
import io.sluice.config.TlsConfig;
import java.security.cert.CertificateException;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * An RSA and an ECDSA self-signed certificate for {@code mx.sluice.test}, made before a test class's tests and deleted
 * after them: the keys a TLS listener is held to {@link OpenSslSuites}' policy with.
 */
public final class ServerKeys implements BeforeAllCallback, AfterAllCallback {

    private SelfSignedCertificate rsa;
    private SelfSignedCertificate ecdsa;

    @Override
    public void beforeAll(ExtensionContext context) throws CertificateException {
        rsa = new SelfSignedCertificate("mx.sluice.test");
        ecdsa = new SelfSignedCertificate("mx.sluice.test", "EC", 256);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        rsa.delete();
        ecdsa.delete();
    }

    /** The listener's TLS with the key of {@code keyType}, "RSA" or "ECDSA". */
    public TlsConfig tls(String keyType) {
        SelfSignedCertificate key = keyType.equals("RSA") ? rsa : ecdsa;
        return new TlsConfig(key.certificate().toPath(), key.privateKey().toPath());
    }
}
