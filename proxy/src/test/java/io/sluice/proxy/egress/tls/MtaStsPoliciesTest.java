package io.sluice.proxy.egress.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.sluice.config.ClusterConfig;
import io.sluice.config.DnsConfig;
import io.sluice.config.HostPort;
import io.sluice.config.MtaStsConfig;
import io.sluice.policy.cluster.ClusterNode;
import io.sluice.policy.cluster.ClusterSeal;
import io.sluice.proxy.egress.MxResolver;
import io.sluice.proxy.egress.TestDnsServer;
import io.sluice.proxy.egress.tls.MtaStsPolicies.Lookup;
import io.sluice.proxy.egress.tls.MtaStsPolicies.Origin;
import io.sluice.testing.TestPorts;
import io.sluice.testing.TestSecrets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Finding and keeping MTA-STS policies against a DNS server and a policy host on loopback, with the clock in the
 * test's hand: the cache, the TXT id that fetches again, refresh before expiry, and policy hosts that misbehave.
 */
class MtaStsPoliciesTest {

    private static final String ENFORCE =
            "version: STSv1\nmode: enforce\nmx: mx.a.test\nmx: *.b.test\nmax_age: 86400\n";
    private static final Duration CHECK = Duration.ofHours(1);

    private static TestAuthority authority;
    private static EventLoopGroup group;

    private TestDnsServer dns;
    private TestPolicyServer host;
    private MutableClock clock;

    @BeforeAll
    static void authority() {
        authority = TestAuthority.create();
        group = new NioEventLoopGroup(1);
    }

    @AfterAll
    static void close() {
        authority.close();
        group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
    }

    @BeforeEach
    void servers() {
        dns = TestDnsServer.start();
        host = TestPolicyServer.start("127.0.0.1", 0,
                authority.issue("mta-sts.a.test", "mta-sts.b.test").serverContext());
        dns.txt("_mta-sts.a.test", 300, "v=STSv1; id=20260101;").address("mta-sts.a.test", 300, "127.0.0.1");
        clock = new MutableClock(Instant.parse("2026-12-05T10:00:00Z"));
    }

    @AfterEach
    void stop() {
        host.close();
        dns.close();
    }

    private MtaStsPolicies policies(Duration fetchTimeout, int maxSize, Predicate<java.net.InetAddress> permitted)
            throws Exception {
        return policies(fetchTimeout, maxSize, permitted, MtaStsPolicies.SharedPolicies.NONE);
    }

    private MtaStsPolicies policies(Duration fetchTimeout, int maxSize, Predicate<java.net.InetAddress> permitted,
                                    MtaStsPolicies.SharedPolicies shared) throws Exception {
        MtaStsConfig config = new MtaStsConfig(fetchTimeout, maxSize, 100, CHECK, host.port(),
                Optional.of(authority.pem()));
        DnsConfig dnsConfig = new DnsConfig(List.of(HostPort.parse(dns.hostPort())), Duration.ofSeconds(2), 1, 100,
                Duration.ofHours(1), Duration.ofMinutes(5));
        MtaStsFetcher fetcher = new MtaStsFetcher(MxResolver.dnsResolver(dnsConfig), new HttpsExchange(
                TlsTrust.of(config.trustedAuthorities()).clientContext(), permitted, group, NioSocketChannel.class),
                config);
        return new MtaStsPolicies(fetcher, shared, config, clock);
    }

    private MtaStsPolicies policies() throws Exception {
        return policies(Duration.ofSeconds(5), 64 * 1024, address -> true);
    }

    private static Lookup lookup(MtaStsPolicies policies, String domain) throws Exception {
        return policies.lookup(domain).get(20, TimeUnit.SECONDS);
    }

    @Test
    void aPolicyIsFetchedOnceAndServedFromTheCacheUntilTheCheckInterval() throws Exception {
        host.serve("a.test", ENFORCE);
        MtaStsPolicies policies = policies();

        Lookup first = lookup(policies, "a.test");
        Lookup second = lookup(policies, "a.test");

        assertThat(first.origin()).isEqualTo(Origin.FETCH);
        assertThat(first.policy().orElseThrow().id()).isEqualTo("20260101");
        assertThat(first.policy().orElseThrow().policy().mx()).containsExactly("mx.a.test", "*.b.test");
        assertThat(first.policy().orElseThrow().expires()).isEqualTo(clock.instant().plus(Duration.ofDays(1)));
        assertThat(second.origin()).isEqualTo(Origin.CACHE);
        assertThat(second.policy()).isEqualTo(first.policy());
        assertThat(host.fetches("a.test")).isEqualTo(1);
        assertThat(dns.questions()).containsOnlyOnce("_mta-sts.a.test./TXT");
    }

    @Test
    void aNewIdInTheTxtRecordFetchesThePolicyAgainAndTheSameIdDoesNot() throws Exception {
        host.serve("a.test", ENFORCE);
        MtaStsPolicies policies = policies();
        lookup(policies, "a.test");

        clock.advance(CHECK);
        Lookup sameId = lookup(policies, "a.test");
        host.serve("a.test", ENFORCE.replace("mode: enforce", "mode: testing"));
        dns.remove("_mta-sts.a.test").txt("_mta-sts.a.test", 300, "v=STSv1; id=20260102");
        clock.advance(CHECK);
        Lookup newId = lookup(policies, "a.test");

        assertThat(sameId.origin()).isEqualTo(Origin.CACHE);
        assertThat(newId.origin()).isEqualTo(Origin.FETCH);
        assertThat(newId.policy().orElseThrow().id()).isEqualTo("20260102");
        assertThat(newId.policy().orElseThrow().policy().mode()).isEqualTo(MtaStsPolicy.Mode.TESTING);
        assertThat(host.fetches("a.test")).isEqualTo(2);
    }

    @Test
    void aPolicyAboutToExpireIsFetchedAgainBeforeItDoes() throws Exception {
        host.serve("a.test", ENFORCE);
        MtaStsPolicies policies = policies();
        Lookup first = lookup(policies, "a.test");

        clock.advance(Duration.ofDays(1).minus(CHECK).plusSeconds(1));
        Lookup refreshed = lookup(policies, "a.test");

        assertThat(refreshed.origin()).isEqualTo(Origin.FETCH);
        assertThat(refreshed.policy().orElseThrow().expires()).isAfter(first.policy().orElseThrow().expires());
        assertThat(host.fetches("a.test")).isEqualTo(2);
    }

    @Test
    void aFailedRefreshKeepsTheValidPolicyAndAFailureWithoutOneIsNoPolicy() throws Exception {
        host.serve("a.test", ENFORCE);
        MtaStsPolicies policies = policies();
        lookup(policies, "a.test");
        host.redirect(500, null);
        dns.remove("_mta-sts.a.test").txt("_mta-sts.a.test", 300, "v=STSv1; id=20260102");

        clock.advance(CHECK);
        Lookup kept = lookup(policies, "a.test");
        dns.remove("_mta-sts.a.test");
        clock.advance(Duration.ofDays(2));
        Lookup expiredAndNoRecord = lookup(policies, "a.test");

        assertThat(kept.policy().orElseThrow().id()).isEqualTo("20260101");
        assertThat(kept.failure()).contains(TlsResult.STS_POLICY_FETCH_ERROR);
        assertThat(expiredAndNoRecord.policy()).isEmpty();
        assertThat(expiredAndNoRecord.origin()).isEqualTo(Origin.NONE);
    }

    @Test
    void aDomainWithoutTxtRecordHasNoPolicyAndNothingIsFetched() throws Exception {
        dns.remove("_mta-sts.a.test");
        MtaStsPolicies policies = policies();

        Lookup lookup = lookup(policies, "a.test");

        assertThat(lookup.policy()).isEmpty();
        assertThat(lookup.failure()).isEmpty();
        assertThat(host.fetches()).isZero();
    }

    @Test
    void aRedirectIsNotFollowed() throws Exception {
        host.serve("a.test", ENFORCE).redirect(301, "https://mta-sts.a.test/elsewhere.txt");

        Lookup lookup = lookup(policies(), "a.test");

        assertThat(lookup.policy()).isEmpty();
        assertThat(lookup.failure()).contains(TlsResult.STS_POLICY_FETCH_ERROR);
        assertThat(lookup.detail()).contains("301").contains("not followed");
        assertThat(host.fetches()).isEqualTo(1);
    }

    @Test
    void aPolicyOfAnotherContentTypeIsNoPolicy() throws Exception {
        host.serve("a.test", ENFORCE).contentType("text/html");

        Lookup lookup = lookup(policies(), "a.test");

        assertThat(lookup.policy()).isEmpty();
        assertThat(lookup.failure()).contains(TlsResult.STS_POLICY_INVALID);
        assertThat(lookup.detail()).contains("text/html");
    }

    @Test
    void aPolicyLargerThanTheLimitIsNoPolicyWhateverTheHeadersSay() throws Exception {
        // Sent chunked, so no Content-Length announces it: the limit holds while the body is read.
        host.serve("a.test", ENFORCE + "x_padding: " + "p".repeat(4000) + "\n");

        Lookup lookup = lookup(policies(Duration.ofSeconds(5), 1024, address -> true), "a.test");

        assertThat(lookup.policy()).isEmpty();
        assertThat(lookup.failure()).contains(TlsResult.STS_POLICY_INVALID);
        assertThat(lookup.detail()).contains("larger than 1024 bytes");
    }

    @Test
    void aPolicyHostThatNeverAnswersTimesOutToNoPolicy() throws Exception {
        host.serve("a.test", ENFORCE).hang();

        long started = System.nanoTime();
        Lookup lookup = lookup(policies(Duration.ofMillis(500), 64 * 1024, address -> true), "a.test");

        assertThat(lookup.policy()).isEmpty();
        assertThat(lookup.failure()).contains(TlsResult.STS_POLICY_FETCH_ERROR);
        assertThat(lookup.detail()).contains("did not answer within");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(15));
    }

    @Test
    void aPolicyHostWithACertificateOfNoTrustedAuthorityIsNoPolicy() throws Exception {
        host.close();
        host = TestPolicyServer.start("127.0.0.1", 0, TestAuthority.selfSigned("mta-sts.a.test").serverContext());
        host.serve("a.test", ENFORCE);

        Lookup lookup = lookup(policies(), "a.test");

        assertThat(lookup.policy()).isEmpty();
        assertThat(lookup.failure()).contains(TlsResult.STS_WEBPKI_INVALID);
        assertThat(host.fetches()).isZero();
    }

    @Test
    void aPolicyHostWithACertificateForAnotherNameIsNoPolicy() throws Exception {
        host.close();
        host = TestPolicyServer.start("127.0.0.1", 0, authority.issue("mta-sts.other.test").serverContext());
        host.serve("a.test", ENFORCE);

        Lookup lookup = lookup(policies(), "a.test");

        assertThat(lookup.failure()).contains(TlsResult.STS_WEBPKI_INVALID);
        assertThat(host.fetches()).isZero();
    }

    @Test
    void aPolicyHostAtAForbiddenDestinationIsNeverConnectedTo() throws Exception {
        host.serve("a.test", ENFORCE);

        Lookup lookup = lookup(policies(Duration.ofSeconds(5), 64 * 1024, address -> false), "a.test");

        assertThat(lookup.policy()).isEmpty();
        assertThat(lookup.detail()).contains("forbidden destinations");
        assertThat(host.fetches()).isZero();
    }

    @Test
    void anInvalidPolicyIsNoPolicyWithTheParsersReason() throws Exception {
        host.serve("a.test", "version: STSv1\nmode: always\nmx: mx.a.test\nmax_age: 60\n");

        Lookup lookup = lookup(policies(), "a.test");

        assertThat(lookup.policy()).isEmpty();
        assertThat(lookup.failure()).contains(TlsResult.STS_POLICY_INVALID);
        assertThat(lookup.detail()).contains("line 2: mode \"always\"");
    }

    @Test
    void aPolicyOneNodeFetchedIsTakenFromTheClusterByAnotherAndAForgedOneIsNeverUsed() throws Exception {
        host.serve("a.test", ENFORCE);
        ClusterConfig config = new ClusterConfig(ClusterConfig.Mode.EMBEDDED, "mta-sts-test-" + System.nanoTime(),
                new HostPort("127.0.0.1", TestPorts.freeOnLoopback()), ClusterConfig.Discovery.NONE, List.of(), "",
                ClusterConfig.OnUnavailable.LOCAL_FALLBACK, Duration.ofSeconds(5), 1, Duration.ofSeconds(30),
                Optional.empty(), Optional.of(TestSecrets.CLUSTER), Optional.empty());
        try (ClusterNode node = ClusterNode.start(config)) {
            // Two nodes' policies over one cluster map: the real clock, as the map's entries live by it.
            clock.set(Instant.now());
            MtaStsPolicies first = policies(Duration.ofSeconds(5), 64 * 1024, address -> true,
                    new ClusterMtaStsPolicies(node));
            MtaStsPolicies second = policies(Duration.ofSeconds(5), 64 * 1024, address -> true,
                    new ClusterMtaStsPolicies(node));

            Lookup fetched = lookup(first, "a.test");
            await("the fetched policy in the cluster map").atMost(Duration.ofSeconds(10))
                    .until(() -> node.hazelcast().getMap(ClusterMtaStsPolicies.MAP).containsKey("a.test"));
            Lookup shared = lookup(second, "a.test");

            assertThat(fetched.origin()).isEqualTo(Origin.FETCH);
            assertThat(shared.origin()).isEqualTo(Origin.CLUSTER);
            assertThat(shared.policy().orElseThrow().policy()).isEqualTo(fetched.policy().orElseThrow().policy());
            assertThat(host.fetches("a.test")).isEqualTo(1);

            // A forger on the cluster port switches b.test's enforcement off with a policy of its own.
            dns.txt("_mta-sts.b.test", 300, "v=STSv1; id=7").address("mta-sts.b.test", 300, "127.0.0.1");
            host.serve("b.test", ENFORCE);
            node.hazelcast().getMap(ClusterMtaStsPolicies.MAP).put("b.test", String.join("\n", "0".repeat(64), "7",
                    "0", Long.toString(Instant.now().plus(Duration.ofDays(1)).getEpochSecond()),
                    "version: STSv1\r\nmode: none\r\nmax_age: 86400\r\n"));
            long forged = node.seal().forgedCount(ClusterSeal.Kind.MTA_STS_POLICY);

            Lookup afterForgery = lookup(second, "b.test");

            assertThat(afterForgery.origin()).isEqualTo(Origin.FETCH);
            assertThat(afterForgery.policy().orElseThrow().policy().mode()).isEqualTo(MtaStsPolicy.Mode.ENFORCE);
            assertThat(node.seal().forgedCount(ClusterSeal.Kind.MTA_STS_POLICY)).isEqualTo(forged + 1);
        }
    }

    /** A clock the test moves. */
    static final class MutableClock extends Clock {
        private volatile Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        void advance(Duration duration) {
            now = now.plus(duration);
        }

        void set(Instant instant) {
            now = instant;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
