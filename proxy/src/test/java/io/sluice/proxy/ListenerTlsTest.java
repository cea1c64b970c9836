package io.sluice.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import io.sluice.config.HostPort;
import io.sluice.config.TlsConfig;
import io.sluice.proxy.relay.ListenerContext;
import io.sluice.proxy.relay.RelayListeners;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A listener's certificate renewed in its files, as a Kubernetes Secret volume renews it (a new directory, then the
 * {@code ..data} symlink swapped), is what new TLS clients on loopback see; files that do not make a valid pair leave
 * the previous certificate in use and are counted.
 */
@Timeout(60)
class ListenerTlsTest {

    private static final Duration INTERVAL = Duration.ofMillis(50);

    @TempDir
    Path volume;
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final EventLoopGroup loop = new NioEventLoopGroup(1);
    private SelfSignedCertificate old;
    private SelfSignedCertificate renewed;
    private ListenerTls tls;
    private InetSocketAddress address;
    private int generation;

    @BeforeEach
    void mountTheFirstCertificate() throws Exception {
        Instant now = Instant.now();
        old = new SelfSignedCertificate("old.sluice.test", Date.from(now.minus(1, ChronoUnit.DAYS)),
                Date.from(now.plus(10, ChronoUnit.DAYS)), "RSA", 2048);
        renewed = new SelfSignedCertificate("new.sluice.test", Date.from(now.minus(1, ChronoUnit.DAYS)),
                Date.from(now.plus(90, ChronoUnit.DAYS)), "EC", 256);
        mount(Files.readString(old.certificate().toPath()), Files.readString(old.privateKey().toPath()));
        // What a Secret volume shows: links to the files in the directory ..data points to.
        Files.createSymbolicLink(volume.resolve("tls.crt"), Path.of("..data/tls.crt"));
        Files.createSymbolicLink(volume.resolve("tls.key"), Path.of("..data/tls.key"));
    }

    private void start(SslProvider provider) throws Exception {
        tls = ListenerTls.start("mx", new TlsConfig(volume.resolve("tls.crt"), volume.resolve("tls.key")),
                provider, registry, INTERVAL);
        Channel server = new ServerBootstrap().group(loop).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        channel.pipeline().addLast(new SslHandler(tls.newEngine(channel.alloc())));
                    }
                }).bind(InetAddress.getLoopbackAddress(), 0).sync().channel();
        address = (InetSocketAddress) server.localAddress();
    }

    @AfterEach
    void stop() {
        if (tls != null) {
            tls.close();
        }
        loop.shutdownGracefully(0, 0, TimeUnit.SECONDS);
        old.delete();
        renewed.delete();
    }

    /** Writes a pair into a new directory and points {@code ..data} at it in one rename, as the kubelet does. */
    private void mount(String cert, String key) throws Exception {
        Path dir = Files.createDirectory(volume.resolve("..gen" + generation++));
        Files.writeString(dir.resolve("tls.crt"), cert);
        Files.writeString(dir.resolve("tls.key"), key);
        point(dir);
    }

    private void point(Path dir) throws Exception {
        Path next = Files.createSymbolicLink(volume.resolve("..data_tmp"), dir.getFileName());
        Files.move(next, volume.resolve("..data"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** The certificate a new TLS client is shown. */
    private String presented() throws Exception {
        SSLContext client = SSLContext.getInstance("TLS");
        client.init(null, InsecureTrustManagerFactory.INSTANCE.getTrustManagers(), null);
        try (SSLSocket socket = (SSLSocket) client.getSocketFactory().createSocket(address.getAddress(),
                address.getPort())) {
            socket.setSoTimeout(10_000);
            socket.startHandshake();
            return ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSubjectX500Principal().getName();
        }
    }

    private double reloads(String outcome) {
        return registry.get("sluice.tls.reloads").tag("listener", "mx").tag("outcome", outcome).counter().count();
    }

    private double daysLeft() {
        return registry.get("sluice.tls.certificate.expiry").tag("listener", "mx").gauge().value() / 86400;
    }

    @ParameterizedTest
    @EnumSource(names = {"JDK", "OPENSSL"})
    void aRenewedCertificateIsPresentedToNewClients(SslProvider provider) throws Exception {
        start(provider);
        assertThat(presented()).isEqualTo("CN=old.sluice.test");
        assertThat(daysLeft()).isBetween(9.9, 10.0);

        mount(Files.readString(renewed.certificate().toPath()), Files.readString(renewed.privateKey().toPath()));

        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> reloads("reloaded") == 1);
        assertThat(presented()).isEqualTo("CN=new.sluice.test");
        assertThat(daysLeft()).isBetween(89.9, 90.0);
        assertThat(reloads("failed")).isZero();
    }

    @ParameterizedTest
    @EnumSource(names = {"JDK", "OPENSSL"})
    void garbageKeepsThePreviousCertificate(SslProvider provider) throws Exception {
        start(provider);

        mount("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n", "garbage\n");

        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> reloads("failed") == 1);
        assertThat(presented()).isEqualTo("CN=old.sluice.test");
        assertThat(daysLeft()).isBetween(9.9, 10.0);
        // Reported once, not at every check: the failure stays at one while the files stay the same. The repair
        // that follows shows the checks went on.
        mount(Files.readString(renewed.certificate().toPath()), Files.readString(renewed.privateKey().toPath()));
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> reloads("reloaded") == 1);
        assertThat(reloads("failed")).isEqualTo(1);
        assertThat(presented()).isEqualTo("CN=new.sluice.test");
    }

    @ParameterizedTest
    @EnumSource(names = {"JDK", "OPENSSL"})
    void aKeyOfAnotherCertificateKeepsThePreviousOne(SslProvider provider) throws Exception {
        start(provider);

        // Half a renewal: the new certificate with the old key (of another type), then with a key of its type.
        mount(Files.readString(renewed.certificate().toPath()), Files.readString(old.privateKey().toPath()));
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> reloads("failed") == 1);
        assertThat(presented()).isEqualTo("CN=old.sluice.test");
        SelfSignedCertificate other = new SelfSignedCertificate("other.sluice.test", "EC", 256);
        try {
            mount(Files.readString(renewed.certificate().toPath()), Files.readString(other.privateKey().toPath()));
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> reloads("failed") == 2);
            assertThat(presented()).isEqualTo("CN=old.sluice.test");
        } finally {
            other.delete();
        }
    }

    /**
     * A pair renewed one file after the other, read between the two (the new certificate with the old key), is not a
     * failed reload: the files are read again, and as they changed meanwhile the next check judges them.
     */
    @Test
    void aPairReadHalfRenewedIsNotCountedAsFailed() throws Exception {
        // No checks of the checker's own: the test runs them, and each read of the files is one the test answers.
        tls = ListenerTls.start("mx", new TlsConfig(volume.resolve("tls.crt"), volume.resolve("tls.key")),
                SslProvider.JDK, registry, Duration.ofDays(1));
        String newCert = Files.readString(renewed.certificate().toPath());
        String newKey = Files.readString(renewed.privateKey().toPath());
        Path pipes = Files.createDirectory(volume.resolve("..pipes"));
        for (String name : new String[] {"tls.crt", "tls.key"}) {
            Process mkfifo = new ProcessBuilder("mkfifo", pipes.resolve(name).toString()).inheritIO().start();
            assertThat(mkfifo.waitFor()).isZero();
        }
        point(pipes);
        // The check's read, between the two files' renewals; then its second read, after them.
        CompletableFuture<Void> renewal = CompletableFuture.runAsync(() -> {
            try {
                for (String[] pair : new String[][] {{newCert, Files.readString(old.privateKey().toPath())},
                        {newCert, newKey}}) {
                    Files.writeString(pipes.resolve("tls.crt"), pair[0]);
                    Files.writeString(pipes.resolve("tls.key"), pair[1]);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });

        tls.check();
        renewal.get(20, TimeUnit.SECONDS);
        assertThat(reloads("failed")).isZero();
        assertThat(tls.certificate().getSubjectX500Principal().getName()).isEqualTo("CN=old.sluice.test");

        mount(newCert, newKey);
        tls.check();
        assertThat(reloads("reloaded")).isEqualTo(1);
        assertThat(reloads("failed")).isZero();
        assertThat(tls.certificate().getSubjectX500Principal().getName()).isEqualTo("CN=new.sluice.test");
    }

    /** A listener whose port is taken stops its certificate's checker when the listeners close. */
    @Test
    void aListenerThatCannotBindStopsItsChecker() throws Exception {
        tls = ListenerTls.start("taken", new TlsConfig(volume.resolve("tls.crt"), volume.resolve("tls.key")),
                SslProvider.JDK, registry, INTERVAL);
        Thread checker = Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> thread.getName().equals("sluice-tls-taken")).findFirst().orElseThrow();
        ListenerContext context = new ListenerContext("taken", false, null, Duration.ofMinutes(5), tls, null, null);
        Transport transport = Transport.best();
        EventLoopGroup workers = transport.newGroup(1, "taken");
        try (ServerSocket occupant = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             RelayListeners listeners = new RelayListeners("taken", transport, workers)) {
            HostPort address = new HostPort(occupant.getInetAddress().getHostAddress(), occupant.getLocalPort());
            assertThatThrownBy(() -> listeners.bind(address, context, null, null, pipeline -> { }))
                    .isInstanceOf(BindException.class);
        } finally {
            workers.shutdownGracefully(0, 0, TimeUnit.SECONDS);
        }

        checker.join(TimeUnit.SECONDS.toMillis(20));
        assertThat(checker.isAlive()).isFalse();
    }

    @ParameterizedTest
    @EnumSource(names = {"JDK"})
    void anExpiredCertificateKeepsThePreviousOne(SslProvider provider) throws Exception {
        start(provider);
        Instant now = Instant.now();
        SelfSignedCertificate expired = new SelfSignedCertificate("expired.sluice.test",
                Date.from(now.minus(30, ChronoUnit.DAYS)), Date.from(now.minus(1, ChronoUnit.DAYS)), "RSA", 2048);
        try {
            mount(Files.readString(expired.certificate().toPath()), Files.readString(expired.privateKey().toPath()));

            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> reloads("failed") == 1);
            assertThat(presented()).isEqualTo("CN=old.sluice.test");
        } finally {
            expired.delete();
        }
    }
}
