package io.sluice.proxy.admin;

import static io.sluice.proxy.admin.AdminChannel.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.github.bucket4j.TimeMeter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.config.AdminConfig;
import io.sluice.config.AdminScope;
import io.sluice.config.AdminToken;
import io.sluice.config.Counted;
import io.sluice.config.LimitRule;
import io.sluice.config.PolicyConfig;
import io.sluice.config.Rate;
import io.sluice.config.RuleKey;
import io.sluice.policy.cluster.LimitStore;
import io.sluice.policy.eval.LocalPolicyStore;
import io.sluice.policy.eval.PolicyEngine;
import io.sluice.proxy.admin.AdminChannel.Response;
import io.sluice.proxy.lifecycle.NodeState;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Who may do what on the admin API, decided on a request's head: requests without a valid token, or without the
 * scope they need, are answered before their body is read and leave nothing of it behind; every refusal is
 * audited with the client's address.
 */
class AdminAccessTest {

    private static final String ADMIN = "admin-secret-0123456789";
    private static final String READER = "reader-secret-0123456789";
    private static final String DRAINER = "drainer-secret-0123456789";
    private static final int MAX_BODY = 1 << 20;
    private static final String POLICY = "limits:\n  - {name: per-ip, key: client-ip, counts: connections,"
            + " rate: 1/1h, burst: 1}\n";

    private final NodeState state = new NodeState();
    private final AtomicInteger drains = new AtomicInteger();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final LimitStore limits = LimitStore.local(TimeMeter.SYSTEM_NANOTIME);
    private final PolicyEngine engine = new PolicyEngine(new PolicyConfig(List.of(LimitRule.of("per-ip",
            RuleKey.CLIENT_IP, Counted.CONNECTIONS, new Rate(1, Duration.ofHours(1)), 2)), List.of()),
            limits.limiter(), limits.leases(), registry);
    private final LocalPolicyStore store = new LocalPolicyStore(engine, registry);
    private final ListAppender<ILoggingEvent> audit = new ListAppender<>();
    private final List<AdminChannel> channels = new ArrayList<>();
    private AdminApi api;

    @BeforeEach
    void start() {
        audit.start();
        auditLogger().addAppender(audit);
        state.advance(NodeState.Phase.STARTING, NodeState.Phase.SERVING);
        state.drainWith(drains::incrementAndGet);
        api = new AdminApi(new Authenticator(List.of(new AdminToken("admin", ADMIN),
                new AdminToken("ro", READER, Set.of(AdminScope.READ)),
                new AdminToken("drainer", DRAINER, Set.of(AdminScope.DRAIN)))), true, true,
                AdminHttpTest.services(state, engine, store, new LinkedHashSet<>(List.of("mx")), () -> "",
                        () -> new ClusterStatus("local", List.of(), false, 0, List.of())));
    }

    @AfterEach
    void stop() {
        auditLogger().detachAppender(audit);
        channels.forEach(AdminChannel::close);
    }

    private static Logger auditLogger() {
        return (Logger) LoggerFactory.getLogger(AdminApi.AUDIT);
    }

    private AdminChannel connect() {
        AdminChannel channel = new AdminChannel(api, MAX_BODY);
        channels.add(channel);
        return channel;
    }

    private static String as(String secret) {
        return "Authorization: Bearer " + secret + "\r\n";
    }

    /** The head of a PUT of the policy announcing a body of {@code length} octets, none of which is sent. */
    private static String putHead(String headers, long length) {
        return "PUT /api/v1/policy HTTP/1.1\r\nHost: localhost\r\n" + headers + "If-Match: \"1\"\r\n"
                + "Content-Length: " + length + "\r\n\r\n";
    }

    @Test
    void anUnauthenticatedPutIsAnswered401OnItsHeadAndItsBodyIsThrownAwayUnbuffered() {
        AdminChannel admin = connect();

        admin.send(putHead("", MAX_BODY));
        List<Response> before = admin.responses();
        byte[] chunk = "x".repeat(64 * 1024).getBytes(StandardCharsets.US_ASCII);
        long held = 0;
        for (int i = 0; i < MAX_BODY / chunk.length; i++) {
            admin.send(chunk);
            held = Math.max(held, admin.bytesHeld());
        }
        Response next = admin.exchange(request("GET", "/healthz/live", "", ""));

        assertThat(before).as("answered before any of the body was sent").extracting(Response::status)
                .containsExactly(401);
        assertThat(before.get(0).header("WWW-Authenticate")).isEqualTo("Bearer realm=\"sluice\"");
        assertThat(before.get(0).header("Connection")).as("kept: the body is read and thrown away").isNull();
        assertThat(held).as("bytes of the refused body held at any time").isZero();
        assertThat(next.status()).as("the connection serves the next request").isEqualTo(200);
        assertThat(store.current().version()).isEqualTo(1);
        assertThat(audit.list).extracting(ILoggingEvent::getFormattedMessage).containsExactly(
                "authentication failed client_ip=embedded action=auth.failed method=PUT path=/api/v1/policy"
                        + " token=missing");
    }

    @Test
    void anAuthenticatedPutWaitsForItsBodyWhereAnUnauthenticatedOneDoesNot() {
        AdminChannel authenticated = connect();
        AdminChannel wrong = connect();

        authenticated.send(putHead(as(ADMIN), POLICY.length()));
        wrong.send(putHead(as(ADMIN + "x"), POLICY.length()));
        List<Response> waiting = authenticated.responses();
        List<Response> refused = wrong.responses();
        Response applied = authenticated.exchange(POLICY);

        assertThat(waiting).isEmpty();
        assertThat(refused).extracting(Response::status).containsExactly(401);
        assertThat(refused.get(0).json().get("error").asText()).isEqualTo("the bearer token is not valid");
        assertThat(applied.status()).isEqualTo(200);
        assertThat(audit.list).extracting(ILoggingEvent::getFormattedMessage)
                .anySatisfy(line -> assertThat(line).startsWith("authentication failed").contains("token=invalid"))
                .allSatisfy(line -> assertThat(line).doesNotContain(ADMIN).contains("client_ip=embedded"));
    }

    @Test
    void aRefusedBodyOverTheLimitOrAwaitingContinueClosesTheConnection() {
        AdminChannel large = connect();
        AdminChannel chunked = connect();
        AdminChannel expecting = connect();

        Response tooLarge = large.exchange(putHead("", MAX_BODY + 1L));
        chunked.send("PUT /api/v1/policy HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n");
        Response byChunks = chunked.responses().get(0);
        String chunk = Integer.toHexString(64 * 1024) + "\r\n" + "x".repeat(64 * 1024) + "\r\n";
        for (int i = 0; i < MAX_BODY / (64 * 1024) + 1 && chunked.isOpen(); i++) {
            chunked.send(chunk);
        }
        Response continued = expecting.exchange("PUT /api/v1/policy HTTP/1.1\r\nHost: localhost\r\n"
                + "Expect: 100-continue\r\nContent-Length: 10\r\n\r\n");

        assertThat(List.of(tooLarge, byChunks, continued)).extracting(Response::status)
                .containsExactly(401, 401, 401);
        assertThat(List.of(tooLarge, continued)).extracting(response -> response.header("Connection"))
                .containsOnly("close");
        assertThat(List.of(large, chunked, expecting)).noneMatch(AdminChannel::isOpen);
    }

    @Test
    void aReadTokenReadsButChangesNothing() {
        AdminChannel admin = connect();

        Map<String, Response> reads = Map.of(
                "policy", admin.exchange(request("GET", "/api/v1/policy", as(READER), "")),
                "validate", admin.exchange(request("POST", "/api/v1/policy/validate", as(READER), POLICY)),
                "overrides", admin.exchange(request("GET", "/api/v1/overrides", as(READER), "")),
                "bucket", admin.exchange(request("GET", "/api/v1/buckets/per-ip?client-ip=198.51.100.7",
                        as(READER), "")),
                "egress", admin.exchange(request("GET", "/api/v1/egress/pools", as(READER), "")),
                "cluster", admin.exchange(request("GET", "/api/v1/cluster", as(READER), "")));
        List<Response> changes = List.of(
                admin.exchange(request("PUT", "/api/v1/policy", as(READER) + "If-Match: \"1\"\r\n", POLICY)),
                admin.exchange(request("POST", "/api/v1/overrides", as(READER),
                        "{\"rule\": \"per-ip\", \"factor\": 2, \"for\": \"1h\"}")),
                admin.exchange(request("POST", "/api/v1/buckets/per-ip/reset?client-ip=198.51.100.7", as(READER),
                        "")),
                admin.exchange(request("POST", "/api/v1/egress/pools/normal/sources/127.0.0.10/suspend",
                        as(READER), "")),
                admin.exchange(request("POST", "/api/v1/cluster/drain", as(READER), "")));

        assertThat(reads).allSatisfy((what, response) -> assertThat(response.status()).as(what).isEqualTo(200));
        assertThat(changes).extracting(Response::status).containsOnly(403);
        assertThat(changes).extracting(response -> response.json().get("error").asText()).containsExactly(
                "this request needs the scope policy; the token ro has: read",
                "this request needs the scope overrides; the token ro has: read",
                "this request needs the scope overrides; the token ro has: read",
                "this request needs the scope egress; the token ro has: read",
                "this request needs the scope drain; the token ro has: read");
        assertThat(changes.get(0).header("WWW-Authenticate"))
                .isEqualTo("Bearer realm=\"sluice\", error=\"insufficient_scope\", scope=\"policy\"");
        assertThat(store.current().version()).isEqualTo(1);
        assertThat(drains).hasValue(0);
        assertThat(admin.exchange(request("GET", "/api/v1/overrides", as(READER), "")).json().get("overrides"))
                .isEmpty();
        assertThat(admin.exchange(request("GET", "/api/v1/egress/pools", as(READER), "")).body())
                .doesNotContain("\"suspended\" : true");
        assertThat(audit.list).extracting(ILoggingEvent::getFormattedMessage).hasSize(5).allSatisfy(line ->
                assertThat(line).startsWith("access denied actor=ro client_ip=embedded action=auth.forbidden"));
        assertThat(audit.list.get(4).getFormattedMessage()).endsWith("method=POST path=/api/v1/cluster/drain"
                + " scope=drain");
    }

    @Test
    void onlyATokenWithTheDrainScopeDrains() {
        AdminChannel admin = connect();

        Response byReader = admin.exchange(request("POST", "/api/v1/cluster/drain", as(READER), ""));
        Response byDrainer = admin.exchange(request("POST", "/api/v1/cluster/drain", as(DRAINER), ""));
        Response drainerReads = admin.exchange(request("GET", "/api/v1/policy", as(DRAINER), ""));
        Response drainerPuts = admin.exchange(request("PUT", "/api/v1/policy", as(DRAINER) + "If-Match: \"1\"\r\n",
                POLICY));

        assertThat(List.of(byReader, byDrainer, drainerReads, drainerPuts)).extracting(Response::status)
                .containsExactly(403, 202, 403, 403);
        assertThat(drains).hasValue(1);
        assertThat(audit.list).extracting(event -> event.getFormattedMessage().split(" ")[0] + " "
                        + event.getFormattedMessage().split(" ")[2])
                .containsExactly("access actor=ro", "drain actor=drainer", "access actor=drainer",
                        "access actor=drainer");
    }

    @Test
    void aScopeIsRefusedOnTheHeadBeforeTheBodyIsSent() {
        AdminChannel admin = connect();

        admin.send(putHead(as(READER), MAX_BODY));
        List<Response> refused = admin.responses();

        assertThat(refused).extracting(Response::status).containsExactly(403);
        assertThat(admin.isOpen()).isTrue();
    }

    @Test
    void connectionsOverTheCapAreClosedAtOnceAndASlotComesBackWhenOneCloses() {
        AdminConnectionLimit limit = new AdminConnectionLimit(2);
        AdminChannel first = new AdminChannel(api, MAX_BODY, AdminChannelInitializer.IDLE, limit);
        AdminChannel second = new AdminChannel(api, MAX_BODY, AdminChannelInitializer.IDLE, limit);
        AdminChannel third = new AdminChannel(api, MAX_BODY, AdminChannelInitializer.IDLE, limit);
        channels.addAll(List.of(first, second, third));

        boolean thirdOpen = third.isOpen();
        first.close();
        AdminChannel fourth = new AdminChannel(api, MAX_BODY, AdminChannelInitializer.IDLE, limit);
        channels.add(fourth);

        assertThat(thirdOpen).isFalse();
        assertThat(third.send(request("GET", "/healthz/live", "", "")).responses()).isEmpty();
        assertThat(List.of(second, fourth)).allMatch(AdminChannel::isOpen);
        assertThat(fourth.exchange(request("GET", "/healthz/live", "", "")).status()).isEqualTo(200);
        assertThat(limit.open()).isEqualTo(2);
        assertThat(AdminConfig.DEFAULT.maxConnections()).isEqualTo(32);
    }

    @Test
    void refusalsKeepTheirPlaceAmongPipelinedRequests() {
        AdminChannel admin = connect();

        admin.send(request("GET", "/api/v1/policy", as(READER), "")
                + request("PUT", "/api/v1/policy", as(READER) + "If-Match: \"1\"\r\n", POLICY)
                + request("PUT", "/api/v1/policy", "", POLICY)
                + request("PUT", "/api/v1/policy", as(ADMIN) + "If-Match: \"1\"\r\n", POLICY)
                + request("GET", "/nowhere", "", ""));

        assertThat(admin.responses()).extracting(Response::status, response -> response.header("ETag"))
                .containsExactly(tuple(200, "\"1\""), tuple(403, null), tuple(401, null), tuple(200, "\"2\""),
                        tuple(404, null));
    }
}
