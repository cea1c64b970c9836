package io.sluice.proxy;

import static net.logstash.logback.argument.StructuredArguments.kv;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ApplicationProtocolNegotiator;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslProvider;
import io.sluice.config.TlsConfig;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSessionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A listener's STARTTLS context that follows its certificate and key files: a renewed pair is used for the handshakes
 * that start after it is loaded, without a restart; a pair that does not load is refused, counted and logged, and the
 * previous one kept.
 *
 * <p>The files are read and compared by content at a fixed interval rather than watched for events: a Kubernetes
 * Secret volume swaps a {@code ..data} symlink, which changes no event of the files the paths name, and an interval
 * costs two small reads. Sessions already in TLS keep the context they started with.
 */
public final class ListenerTls extends SslContext implements AutoCloseable {

    /** How often the files are compared with the pair in use. */
    public static final Duration CHECK_INTERVAL = Duration.ofSeconds(10);

    private static final Logger log = LoggerFactory.getLogger(ListenerTls.class);
    private static final byte[] UNREADABLE = new byte[0];

    private final String listener;
    private final TlsConfig files;
    private final SslProvider provider;
    private final AtomicReference<Loaded> current = new AtomicReference<>();
    private final Counter reloaded;
    private final Counter failed;
    private final ScheduledExecutorService checker;
    // The digest of the files last looked at, loaded or not: a broken pair is reported once, not at every check.
    private byte[] lastSeen;

    private record Loaded(SslContext context, X509Certificate leaf) {
    }

    private ListenerTls(String listener, TlsConfig files, SslProvider provider, MeterRegistry registry) {
        this.listener = listener;
        this.files = files;
        this.provider = provider;
        this.reloaded = reloads(registry, "reloaded");
        this.failed = reloads(registry, "failed");
        this.checker = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "sluice-tls-" + listener);
            thread.setDaemon(true);
            return thread;
        });
    }

    private Counter reloads(MeterRegistry registry, String outcome) {
        return Counter.builder("sluice.tls.reloads")
                .description("changed certificate and key files of a listener, loaded or refused")
                .tag("listener", listener).tag("outcome", outcome).register(registry);
    }

    /**
     * Loads the listener's pair, which must be valid (a configuration error otherwise), and checks its files every
     * {@code interval} from then on.
     */
    public static ListenerTls start(String listener, TlsConfig files, MeterRegistry registry, Duration interval)
            throws IOException, GeneralSecurityException {
        return start(listener, files, TlsContexts.provider(), registry, interval);
    }

    /** The same with the given provider. */
    public static ListenerTls start(String listener, TlsConfig files, SslProvider provider, MeterRegistry registry,
                                    Duration interval) throws IOException, GeneralSecurityException {
        ListenerTls tls = new ListenerTls(listener, files, provider, registry);
        byte[] cert = Files.readAllBytes(files.cert());
        byte[] key = Files.readAllBytes(files.key());
        tls.current.set(tls.load(cert, key));
        tls.lastSeen = digest(cert, key);
        Gauge.builder("sluice.tls.certificate.expiry", tls, ListenerTls::secondsLeft)
                .description("seconds until the end (notAfter) of the certificate the listener presents")
                .baseUnit("seconds").tag("listener", listener).register(registry);
        long millis = interval.toMillis();
        tls.checker.scheduleWithFixedDelay(tls::check, millis, millis, TimeUnit.MILLISECONDS);
        return tls;
    }

    /** The certificate presented to handshakes that start now. */
    public X509Certificate certificate() {
        return current.get().leaf();
    }

    private double secondsLeft() {
        return Duration.between(Instant.now(), certificate().getNotAfter().toInstant()).toSeconds();
    }

    /** What the files held: their contents and digest, or null contents and {@link #UNREADABLE}. */
    private record Contents(byte[] cert, byte[] key, byte[] digest) {
    }

    private Contents read() {
        try {
            byte[] cert = Files.readAllBytes(files.cert());
            byte[] key = Files.readAllBytes(files.key());
            return new Contents(cert, key, digest(cert, key));
        } catch (IOException e) {
            return new Contents(null, null, UNREADABLE);
        }
    }

    /** Compares the files with the pair in use and loads them if they changed; runs on the checker's thread. */
    void check() {
        Contents seen = read();
        if (Arrays.equals(seen.digest(), lastSeen)) {
            return;
        }
        lastSeen = seen.digest();
        try {
            if (seen.cert() == null) {
                throw new IOException("cannot read " + files.cert() + " or " + files.key());
            }
            Loaded next = load(seen.cert(), seen.key());
            if (next.leaf().getNotAfter().toInstant().isBefore(Instant.now())) {
                throw new GeneralSecurityException("the certificate in " + files.cert() + " ended at "
                        + next.leaf().getNotAfter().toInstant());
            }
            current.set(next);
            reloaded.increment();
            log.info("certificate reloaded", kv("listener", listener),
                    kv("subject", next.leaf().getSubjectX500Principal().getName()),
                    kv("not_after", next.leaf().getNotAfter().toInstant().toString()));
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            // Netty reports malformed PEM as IllegalArgumentException.
            if (!Arrays.equals(read().digest(), seen.digest())) {
                // Files that changed while they were read, such as a pair renewed one file after the other: the next
                // check judges the pair they settle on.
                return;
            }
            failed.increment();
            log.warn("certificate not reloaded, the previous one stays in use", kv("listener", listener),
                    kv("cert", files.cert().toString()), kv("key", files.key().toString()),
                    kv("error", String.valueOf(e.getMessage())));
        }
    }

    private Loaded load(byte[] cert, byte[] key) throws IOException, GeneralSecurityException {
        X509Certificate[] chain = toX509Certificates(new ByteArrayInputStream(cert));
        if (chain.length == 0) {
            throw new GeneralSecurityException(files.cert() + " holds no certificate");
        }
        PrivateKey privateKey = toPrivateKey(new ByteArrayInputStream(key), null);
        requireMatch(chain[0].getPublicKey(), privateKey);
        return new Loaded(TlsContexts.server(chain, privateKey, provider), chain[0]);
    }

    /** A key that does not belong to the certificate would fail every handshake; the JDK's TLS does not check. */
    private void requireMatch(PublicKey publicKey, PrivateKey parsed) throws GeneralSecurityException {
        // The PEM reader may hand out another provider's key object; the JDK's own signs with the JDK's providers.
        // (Bouncy Castle's names an EC key "ECDSA").
        String type = parsed.getAlgorithm().equals("ECDSA") ? "EC" : parsed.getAlgorithm();
        PrivateKey privateKey = KeyFactory.getInstance(type)
                .generatePrivate(new PKCS8EncodedKeySpec(parsed.getEncoded()));
        String algorithm = switch (type) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            default -> privateKey.getAlgorithm();   // Ed25519, Ed448
        };
        byte[] probe = listener.getBytes(StandardCharsets.UTF_8);
        Signature signer = Signature.getInstance(algorithm);
        signer.initSign(privateKey);
        signer.update(probe);
        byte[] signature = signer.sign();
        boolean matches;
        try {
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(publicKey);
            verifier.update(probe);
            matches = verifier.verify(signature);
        } catch (InvalidKeyException e) {
            matches = false;   // a key of another type than the certificate's
        }
        if (!matches) {
            throw new GeneralSecurityException(files.key() + " is not the key of the certificate in " + files.cert());
        }
    }

    private static byte[] digest(byte[] cert, byte[] key) {
        try {
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            sha256.update(cert);
            sha256.update(key);
            return sha256.digest();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }

    @Override
    public void close() {
        checker.shutdownNow();
    }

    private SslContext context() {
        return current.get().context();
    }

    @Override
    public boolean isClient() {
        return false;
    }

    @Override
    public List<String> cipherSuites() {
        return context().cipherSuites();
    }

    @Override
    @SuppressWarnings("deprecation")
    public ApplicationProtocolNegotiator applicationProtocolNegotiator() {
        return context().applicationProtocolNegotiator();
    }

    @Override
    public SSLEngine newEngine(ByteBufAllocator alloc) {
        return context().newEngine(alloc);
    }

    @Override
    public SSLEngine newEngine(ByteBufAllocator alloc, String peerHost, int peerPort) {
        return context().newEngine(alloc, peerHost, peerPort);
    }

    @Override
    public SSLSessionContext sessionContext() {
        return context().sessionContext();
    }
}
