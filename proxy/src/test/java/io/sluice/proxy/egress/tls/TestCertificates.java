package io.sluice.proxy.egress.tls;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** ECDSA P-256 keys and certificates for TLS tests: a test CA, leaves it issues, and self-signed leaves. */
public final class TestCertificates {

    private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

    /** A key and its certificate; {@code issuer} is null for a self-signed one. */
    public record Issued(KeyPair key, X509Certificate certificate, Issued issuer) {

        /** Writes the chain (leaf first, then its issuers) and the key as PEM files into the directory. */
        public Path[] writePem(Path directory, String name) {
            try {
                Path chain = directory.resolve(name + ".crt");
                Path keyFile = directory.resolve(name + ".key");
                try (Writer writer = Files.newBufferedWriter(chain); JcaPEMWriter pem = new JcaPEMWriter(writer)) {
                    for (Issued link = this; link != null; link = link.issuer()) {
                        pem.writeObject(link.certificate());
                    }
                }
                // PKCS #8 as the JDK encodes it, which OpenSSL reads for every key type.
                Files.writeString(keyFile, "-----BEGIN PRIVATE KEY-----\n"
                        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(key.getPrivate().getEncoded())
                        + "\n-----END PRIVATE KEY-----\n");
                // Postfix's smtpd reads them as its own unprivileged user.
                for (Path path : new Path[] {directory, chain, keyFile}) {
                    Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(
                            Files.isDirectory(path) ? "rwxr-xr-x" : "rw-r--r--"));
                }
                return new Path[] {chain, keyFile};
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private TestCertificates() {}

    public static KeyPair key() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A self-signed CA valid from an hour ago for a day. */
    public static Issued authority(String name) {
        KeyPair key = key();
        return new Issued(key, build(name, key, name, key, true, Instant.now().minus(Duration.ofHours(1)),
                Instant.now().plus(Duration.ofDays(1))), null);
    }

    /** A server certificate for the DNS names, issued by {@code issuer} (self-signed when null), valid as given. */
    public static Issued server(Issued issuer, Instant notBefore, Instant notAfter, String... dnsNames) {
        KeyPair key = key();
        String subject = dnsNames.length > 0 ? dnsNames[0] : "no-name";
        X509Certificate certificate = issuer == null
                ? build(subject, key, subject, key, false, notBefore, notAfter, dnsNames)
                : build(subject, key, issuer.certificate().getSubjectX500Principal().getName().substring(3),
                        issuer.key(), false, notBefore, notAfter, dnsNames);
        return new Issued(key, certificate, issuer);
    }

    /** A server certificate for the names valid from an hour ago for a day. */
    public static Issued server(Issued issuer, String... dnsNames) {
        return server(issuer, Instant.now().minus(Duration.ofHours(1)), Instant.now().plus(Duration.ofDays(1)),
                dnsNames);
    }

    private static X509Certificate build(String subject, KeyPair subjectKey, String issuer, KeyPair issuerKey,
                                         boolean authority, Instant notBefore, Instant notAfter,
                                         String... dnsNames) {
        try {
            JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(new X500Name("CN=" + issuer),
                    BigInteger.valueOf(SERIAL.incrementAndGet()), Date.from(notBefore), Date.from(notAfter),
                    new X500Name("CN=" + subject), subjectKey.getPublic());
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(authority));
            if (authority) {
                builder.addExtension(Extension.keyUsage, true,
                        new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature));
            }
            if (dnsNames.length > 0) {
                GeneralName[] names = new GeneralName[dnsNames.length];
                for (int i = 0; i < dnsNames.length; i++) {
                    names[i] = new GeneralName(GeneralName.dNSName, dnsNames[i]);
                }
                builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
            }
            return new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey.getPrivate())));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException(e);
        }
    }
}
