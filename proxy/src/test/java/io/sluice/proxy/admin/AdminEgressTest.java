package io.sluice.proxy.admin;

import static io.sluice.proxy.admin.AdminChannel.request;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import io.github.bucket4j.TimeMeter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.sluice.config.AdminToken;
import io.sluice.config.DnsConfig;
import io.sluice.config.EgressConfig;
import io.sluice.config.EgressDestinations;
import io.sluice.config.HostPort;
import io.sluice.config.MtaStsConfig;
import io.sluice.config.PolicyConfig;
import io.sluice.policy.cluster.LimitStore;
import io.sluice.policy.eval.LocalPolicyStore;
import io.sluice.policy.eval.PolicyEngine;
import io.sluice.policy.suspension.SuspendedSource;
import io.sluice.policy.suspension.Suspension;
import io.sluice.proxy.admin.AdminChannel.Response;
import io.sluice.proxy.egress.MxResolver;
import io.sluice.proxy.egress.TestDnsServer;
import io.sluice.proxy.egress.tls.TestAuthority;
import io.sluice.proxy.egress.tls.TestPolicyServer;
import io.sluice.proxy.egress.tls.TlsPolicies;
import io.sluice.proxy.lifecycle.NodeState;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The egress pools through the admin API: listed with their sources, a source suspended and resumed. */
class AdminEgressTest {

    private static final String SECRET = "alice-secret-0123456789";
    private static final String AS_ALICE = "Authorization: Bearer " + SECRET + "\r\n";
    private static final String SOURCE = "/api/v1/egress/pools/normal/sources/127.0.0.10";
    private static final String ACTIONS = "/api/v1/egress/actions";

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final LimitStore limits = LimitStore.local(TimeMeter.SYSTEM_NANOTIME);
    private final PolicyEngine engine = new PolicyEngine(PolicyConfig.EMPTY, limits.limiter(), limits.leases(),
            registry);
    private final AdminServices services = AdminHttpTest.services(new NodeState(), engine,
            new LocalPolicyStore(engine, registry), Set.of("relay"), () -> "",
            () -> new ClusterStatus("local", List.of(), false, 0, List.of()));
    private final ListAppender<ILoggingEvent> audit = new ListAppender<>();
    private AdminChannel admin;

    @BeforeEach
    void start() {
        audit.start();
        ((Logger) LoggerFactory.getLogger("io.sluice.audit")).addAppender(audit);
        admin = new AdminChannel(new AdminApi(new Authenticator(List.of(new AdminToken("alice", SECRET))), true,
                true, services), 4096);
    }

    @AfterEach
    void stop() {
        ((Logger) LoggerFactory.getLogger("io.sluice.audit")).detachAppender(audit);
        admin.close();
    }

    @Test
    void aSourceIsSuspendedAndResumedAndTheListShowsIt() {
        Response suspended = post(SOURCE + "/suspend");

        assertThat(suspended.status()).as(suspended.body()).isEqualTo(200);
        assertThat(suspended.json().toString())
                .isEqualTo("{\"pool\":\"normal\",\"source\":\"127.0.0.10\",\"suspended\":true}");
        assertThat(services.pools().pool("normal").orElseThrow().sources().get(0).suspended()).isTrue();
        assertThat(get("/api/v1/egress/pools").json().get("pools").get("normal").toString()).isEqualTo(
                "{\"selection\":\"round-robin\",\"tls\":\"opportunistic\",\"sources\":["
                        + "{\"address\":\"127.0.0.10\",\"helo\":\"out10.example.net\",\"suspended\":true},"
                        + "{\"address\":\"127.0.0.11\",\"helo\":\"out11.example.net\",\"suspended\":false}]}");

        assertThat(post(SOURCE + "/resume").status()).isEqualTo(200);
        assertThat(services.pools().pool("normal").orElseThrow().sources().get(0).suspended()).isFalse();
        assertThat(audit.list).extracting(ILoggingEvent::getFormattedMessage)
                .satisfiesExactly(
                        line -> assertThat(line).contains("action=egress.suspend", "pool=normal",
                                "source=127.0.0.10", "actor=alice"),
                        line -> assertThat(line).contains("action=egress.resume"));
    }

    @Test
    void anUnknownPoolOrSourceGets404AndANameGets400() {
        assertThat(post("/api/v1/egress/pools/fallback/sources/127.0.0.10/suspend").status()).isEqualTo(404);
        assertThat(post("/api/v1/egress/pools/normal/sources/127.0.0.20/suspend").status()).isEqualTo(404);
        assertThat(post("/api/v1/egress/pools/normal/sources/out10.example.net/suspend").status()).isEqualTo(400);
        assertThat(admin.exchange(request("GET", SOURCE + "/suspend", AS_ALICE, "")).status()).isEqualTo(405);
        assertThat(admin.exchange(request("POST", SOURCE + "/suspend", "", "")).status()).isEqualTo(401);
        assertThat(services.pools().pool("normal").orElseThrow().sources())
                .noneMatch(source -> source.suspended());
        assertThat(audit.list).extracting(ILoggingEvent::getFormattedMessage).singleElement().asString()
                .startsWith("authentication failed ").contains("action=auth.failed", "token=missing")
                .doesNotContain("egress.suspend");
    }

    @Test
    void actionsInForceAreListedAndOneIsLiftedAudited() {
        long until = System.currentTimeMillis() + 600_000;
        SuspendedSource forSite = new SuspendedSource("normal", "127.0.0.10", "yahoo");
        services.suspensions().suspend(forSite, new Suspension(until, "yahoo-tss04",
                "421 4.7.0 [TSS04] Messages from 127.0.0.10 temporarily deferred")).join();
        services.suspensions().suspend(new SuspendedSource("normal", SuspendedSource.EVERY_SOURCE, "outlook"),
                new Suspension(until + 1000, "microsoft-4-7-650", "451 4.7.650 rate limited")).join();
        services.suspensions().set("normal", services.pools().pool("normal").orElseThrow().sources().get(1).address(),
                true).join();

        JsonNode listed = get(ACTIONS).json().get("actions");

        assertThat(listed).as("an operator's suspension for every site is no action").hasSize(2);
        assertThat(listed.get(0).toString()).isEqualTo("{\"id\":\"" + listed.get(0).get("id").asText()
                + "\",\"pool\":\"normal\",\"site\":\"yahoo\",\"source\":\"127.0.0.10\","
                + "\"action\":\"suspend-source\",\"reason\":\"421 4.7.0 [TSS04] Messages from 127.0.0.10"
                + " temporarily deferred\",\"rule\":\"yahoo-tss04\",\"until\":\""
                + Instant.ofEpochMilli(until) + "\"}");
        assertThat(listed.get(1).get("action").asText()).isEqualTo("suspend-pool");
        assertThat(listed.get(1).get("source").asText()).isEmpty();

        String id = listed.get(0).get("id").asText();
        Response lifted = admin.exchange(request("DELETE", ACTIONS + "/" + id, AS_ALICE, ""));

        assertThat(lifted.status()).as(lifted.body()).isEqualTo(200);
        assertThat(services.suspensions().inForce()).doesNotContainKey(forSite);
        assertThat(services.pools().pool("normal").orElseThrow().sources().get(0).suspendedFor("yahoo")).isFalse();
        assertThat(admin.exchange(request("DELETE", ACTIONS + "/" + id, AS_ALICE, "")).status()).isEqualTo(404);
        assertThat(admin.exchange(request("DELETE", ACTIONS + "/" + listed.get(1).get("id").asText(), "", ""))
                .status()).isEqualTo(401);
        assertThat(get(ACTIONS).json().get("actions")).hasSize(1);
        assertThat(audit.list).extracting(ILoggingEvent::getFormattedMessage).filteredOn(line ->
                line.contains("egress.action.lift")).singleElement().asString()
                .contains("actor=alice", "action_id=" + id, "pool=normal", "site=yahoo", "source=127.0.0.10",
                        "rule=yahoo-tss04");
    }

    @Test
    void theMtaStsPolicyInForceForADomainIsShownWithItsSource() throws Exception {
        EventLoopGroup group = new NioEventLoopGroup(1);
        try (TestAuthority authority = TestAuthority.create();
             TestDnsServer dns = TestDnsServer.start();
             TestPolicyServer host = TestPolicyServer.start("127.0.0.1", 0,
                     authority.issue("mta-sts.a.test").serverContext())) {
            dns.txt("_mta-sts.a.test", 300, "v=STSv1; id=42;").address("mta-sts.a.test", 300, "127.0.0.1");
            host.serve("a.test", "version: STSv1\nmode: enforce\nmx: *.a.test\nmax_age: 604800\n");
            DnsConfig dnsConfig = new DnsConfig(List.of(HostPort.parse(dns.hostPort())), Duration.ofSeconds(2), 1,
                    10, Duration.ofHours(1), Duration.ofMinutes(5));
            EgressConfig egress = new EgressConfig(dnsConfig, Map.of(), Duration.ofSeconds(2), 25,
                    EgressDestinations.DEFAULT, List.of(), EgressConfig.DEFAULT_REUSE, new MtaStsConfig(
                    Duration.ofSeconds(5), 4096, 10, Duration.ofHours(1), host.port(), Optional.of(authority.pem())));
            TlsPolicies tls = TlsPolicies.create(egress, Optional.empty(), MxResolver.dnsResolver(dnsConfig),
                    address -> true, group, NioSocketChannel.class, registry);
            // Fetched once beforehand, so that the admin API answers from the cache at once.
            assertThat(tls.describe("a.test").get(20, TimeUnit.SECONDS)).containsEntry("source", "fetch");
            AdminChannel withTls = new AdminChannel(new AdminApi(new Authenticator(List.of(
                    new AdminToken("alice", SECRET))), true, true, new AdminServices(services.state(),
                    services.policies(), services.overrides(), services.inspector(), services.listenerNames(),
                    services.metrics(), services.cluster(), services.clock(), services.pools(), services.suspensions(),
                    services.admissions(), services.actions(), Optional.of(tls))), 4096);
            try {
                Response shown = withTls.exchange(request("GET", "/api/v1/egress/tls/A.Test.", AS_ALICE, ""));
                Response notADomain = withTls.exchange(request("GET", "/api/v1/egress/tls/a_b%0a.test", AS_ALICE,
                        ""));

                assertThat(shown.status()).as(shown.body()).isEqualTo(200);
                assertThat(shown.json().get("domain").asText()).isEqualTo("a.test");
                assertThat(shown.json().get("policy").asText()).isEqualTo("sts");
                assertThat(shown.json().get("source").asText()).isEqualTo("cache");
                assertThat(shown.json().get("mta-sts").get("id").asText()).isEqualTo("42");
                assertThat(shown.json().get("mta-sts").get("mode").asText()).isEqualTo("enforce");
                assertThat(shown.json().get("mta-sts").get("mx").toString()).isEqualTo("[\"*.a.test\"]");
                assertThat(shown.json().get("mta-sts").get("max-age").asLong()).isEqualTo(604800);
                assertThat(notADomain.status()).isEqualTo(400);
                assertThat(host.fetches()).isEqualTo(1);
            } finally {
                withTls.close();
            }
        } finally {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
        }
    }

    @Test
    void aNodeWithoutOutboundRelayHasNoTlsPolicies() {
        assertThat(get("/api/v1/egress/tls/a.test").status()).isEqualTo(404);
    }

    private Response get(String path) {
        return admin.exchange(request("GET", path, AS_ALICE, ""));
    }

    private Response post(String path) {
        return admin.exchange(request("POST", path, AS_ALICE, ""));
    }
}
