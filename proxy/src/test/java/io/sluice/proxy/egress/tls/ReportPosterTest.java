package io.sluice.proxy.egress.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.sluice.config.DnsConfig;
import io.sluice.config.HostPort;
import io.sluice.proxy.egress.MxResolver;
import io.sluice.proxy.egress.TestDnsServer;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A TLS report posted to a report URI on loopback: taken on 2xx, and not taken when the answer cannot be read. */
class ReportPosterTest {

    private static final byte[] REPORT = "gzipped report".getBytes(StandardCharsets.US_ASCII);

    private static TestAuthority authority;
    private static EventLoopGroup group;
    private static TestDnsServer dns;

    private TestReportServer reports;

    @BeforeAll
    static void start() {
        authority = TestAuthority.create();
        group = new NioEventLoopGroup(1);
        dns = TestDnsServer.start();
        dns.address("rua.reports.test", 300, "127.0.0.1");
    }

    @AfterAll
    static void stop() {
        dns.close();
        group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
        authority.close();
    }

    @BeforeEach
    void reportUri() {
        reports = TestReportServer.start("127.0.0.1", authority.issue("rua.reports.test").serverContext());
    }

    @AfterEach
    void closeReportUri() {
        reports.close();
    }

    private ReportPoster poster() throws Exception {
        DnsConfig dnsConfig = new DnsConfig(List.of(HostPort.parse(dns.hostPort())), Duration.ofSeconds(2), 1, 100,
                Duration.ofHours(1), Duration.ofMinutes(5));
        return new ReportPoster(MxResolver.dnsResolver(dnsConfig), new HttpsExchange(
                TlsTrust.of(Optional.of(authority.pem())).clientContext(), address -> true, group,
                NioSocketChannel.class), Duration.ofSeconds(10));
    }

    private URI uri() {
        return URI.create("https://rua.reports.test:" + reports.port() + "/tlsrpt?k=1");
    }

    @Test
    void aReportAnswered2xxIsTaken() throws Exception {
        poster().post(uri(), REPORT).get(20, TimeUnit.SECONDS);

        assertThat(reports.requests()).singleElement().satisfies(posted -> {
            assertThat(posted.method()).isEqualTo("POST");
            assertThat(posted.path()).isEqualTo("/tlsrpt");
            assertThat(posted.contentType()).isEqualTo(TlsReporter.MEDIA_TYPE);
            assertThat(posted.body()).isEqualTo(REPORT);
        });
    }

    @Test
    void anAnswerTheDecoderCannotReadIsNotTakenWhateverItsStatus() throws Exception {
        // 201 in the status line, then a header longer than the client reads: the answer as a whole is unreadable.
        reports.header("X-Padding", "a".repeat(9000));

        assertThatThrownBy(() -> poster().post(uri(), REPORT).get(20, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(IOException.class)
                .hasMessageContaining("unreadable HTTP from rua.reports.test");
        assertThat(reports.requests()).hasSize(1);
    }
}
