package io.sluice.proxy.egress.tls;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A certificate authority of the tests' own, whose PEM file the relay is told to trust, and the server keys it
 * issues: valid for a name, expired, or for another name; and self-signed keys no authority vouches for.
 */
public final class TestAuthority implements AutoCloseable {

    private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

    private final KeyPair key;
    private final X509Certificate certificate;
    private final Path directory;

    private TestAuthority(KeyPair key, X509Certificate certificate, Path directory) {
        this.key = key;
        this.certificate = certificate;
        this.directory = directory;
    }

    public static TestAuthority create() {
        try {
            KeyPair key = keyPair();
            Instant now = Instant.now();
            X509Certificate certificate = sign(new X500Name("CN=Sluice Test Authority"),
                    new X500Name("CN=Sluice Test Authority"), key, key, now.minus(Duration.ofDays(1)),
                    now.plus(Duration.ofDays(30)), new String[0], true);
            Path directory = Files.createTempDirectory("test-authority");
            TestAuthority authority = new TestAuthority(key, certificate, directory);
            Files.writeString(authority.pem(), pem(certificate), StandardCharsets.US_ASCII);
            return authority;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException | org.bouncycastle.operator.OperatorCreationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The PEM file of the authority's certificate, for {@code trusted-authorities}. */
    public Path pem() {
        return directory.resolve("authority.pem");
    }

    /** A key with a certificate valid now for the names. */
    public ServerKey issue(String... names) {
        Instant now = Instant.now();
        return issue(now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(10)), names);
    }

    /** A key with a certificate for the name that expired yesterday. */
    public ServerKey issueExpired(String name) {
        Instant now = Instant.now();
        return issue(now.minus(Duration.ofDays(10)), now.minus(Duration.ofDays(1)), name);
    }

    /** A key with a certificate for the name valid now, signed by itself. */
    public static ServerKey selfSigned(String name) {
        try {
            KeyPair key = keyPair();
            Instant now = Instant.now();
            X500Name subject = new X500Name("CN=" + name);
            return new ServerKey(key, sign(subject, subject, key, key, now.minus(Duration.ofDays(1)),
                    now.plus(Duration.ofDays(10)), new String[] {name}, false));
        } catch (GeneralSecurityException | org.bouncycastle.operator.OperatorCreationException e) {
            throw new IllegalStateException(e);
        }
    }

    private ServerKey issue(Instant from, Instant until, String... names) {
        try {
            KeyPair server = keyPair();
            return new ServerKey(server, sign(new X500Name("CN=Sluice Test Authority"), new X500Name("CN=" + names[0]),
                    key, server, from, until, names, false));
        } catch (GeneralSecurityException | org.bouncycastle.operator.OperatorCreationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A server's key and certificate, as a TLS server context takes them. */
    public record ServerKey(KeyPair key, X509Certificate certificate) {
        public SSLContext serverContext(X509Certificate... chain) {
            try {
                KeyStore store = KeyStore.getInstance("PKCS12");
                store.load(null, null);
                X509Certificate[] full = new X509Certificate[chain.length + 1];
                full[0] = certificate;
                System.arraycopy(chain, 0, full, 1, chain.length);
                store.setKeyEntry("server", key.getPrivate(), new char[0], full);
                KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                keys.init(store, new char[0]);
                SSLContext context = SSLContext.getInstance("TLS");
                context.init(keys.getKeyManagers(), null, null);
                return context;
            } catch (GeneralSecurityException | IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** The authority's certificate, for a chain. */
    public X509Certificate certificate() {
        return certificate;
    }

    private static KeyPair keyPair() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(256);
        return generator.generateKeyPair();
    }

    private static X509Certificate sign(X500Name issuer, X500Name subject, KeyPair issuerKey, KeyPair subjectKey,
                                        Instant from, Instant until, String[] dnsNames, boolean authority)
            throws GeneralSecurityException, org.bouncycastle.operator.OperatorCreationException {
        try {
            JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuer,
                    BigInteger.valueOf(SERIAL.incrementAndGet()), Date.from(from), Date.from(until), subject,
                    subjectKey.getPublic());
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(authority));
            if (authority) {
                builder.addExtension(Extension.keyUsage, true,
                        new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature));
            } else {
                builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
                GeneralName[] names = new GeneralName[dnsNames.length];
                for (int i = 0; i < dnsNames.length; i++) {
                    names[i] = new GeneralName(GeneralName.dNSName, dnsNames[i]);
                }
                builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
            }
            return new JcaX509CertificateConverter().getCertificate(builder.build(
                    new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey.getPrivate())));
        } catch (org.bouncycastle.cert.CertIOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String pem(X509Certificate certificate) throws GeneralSecurityException {
        return "-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(certificate.getEncoded())
                + "\n-----END CERTIFICATE-----\n";
    }

    @Override
    public void close() {
        try {
            Files.deleteIfExists(pem());
            Files.deleteIfExists(directory);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
