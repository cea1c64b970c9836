package io.sluice.proxy.admin;

import static io.sluice.proxy.admin.AdminChannel.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import io.github.bucket4j.TimeMeter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.util.NetUtil;
import io.sluice.config.AdminToken;
import io.sluice.config.DnsConfig;
import io.sluice.config.EgressConfig;
import io.sluice.config.EgressDestinations;
import io.sluice.config.EgressPoolConfig;
import io.sluice.config.EgressSelection;
import io.sluice.config.EgressSource;
import io.sluice.config.EgressTls;
import io.sluice.config.ConcurrencyRule;
import io.sluice.config.PolicyConfig;
import io.sluice.config.PolicyDocument;
import io.sluice.config.RuleKey;
import io.sluice.policy.cluster.LimitStore;
import io.sluice.policy.eval.LocalPolicyStore;
import io.sluice.policy.eval.PolicyEngine;
import io.sluice.policy.eval.PolicyInspector;
import io.sluice.policy.eval.PolicyStore;
import io.sluice.policy.eval.VersionedPolicy;
import io.sluice.policy.override.LocalOverrideStore;
import io.sluice.proxy.admin.AdminChannel.Response;
import io.sluice.proxy.egress.EgressPools;
import io.sluice.proxy.egress.SourceSuspensions;
import io.sluice.proxy.inbound.Admissions;
import io.sluice.proxy.lifecycle.NodeState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The admin API through its real pipeline in an {@link io.netty.channel.embedded.EmbeddedChannel}. */
class AdminHttpTest {

    private static final String ALICE = "alice-secret-0123456789";
    private static final String BOB = "bob-secret-0123456789abc";
    private static final String AS_ALICE = "Authorization: Bearer " + ALICE + "\r\n";
    private static final int MAX_BODY = 2048;
    private static final PolicyConfig START =
            new PolicyConfig(List.of(), List.of(ConcurrencyRule.of("start", RuleKey.GLOBAL, 100)));
    private static final String VALID_POLICY = """
            limits:
              - {name: per-ip, listeners: [mx], key: client-ip, counts: connections, rate: 1/1h, burst: 1}
            """;

    private final NodeState state = new NodeState();
    private final AtomicInteger drains = new AtomicInteger();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final LimitStore limits = LimitStore.local(TimeMeter.SYSTEM_NANOTIME);
    private final PolicyEngine engine = new PolicyEngine(START, limits.limiter(), limits.leases(), registry);
    private final LocalPolicyStore store = new LocalPolicyStore(engine, registry);
    private final ListAppender<ILoggingEvent> audit = new ListAppender<>();
    private final List<AdminChannel> channels = new ArrayList<>();

    @BeforeEach
    void captureAudit() {
        audit.start();
        auditLogger().addAppender(audit);
        state.drainWith(() -> {
            drains.incrementAndGet();
            state.advance(NodeState.Phase.SERVING, NodeState.Phase.DRAINING);
        });
    }

    @AfterEach
    void releaseEverything() {
        auditLogger().detachAppender(audit);
        channels.forEach(AdminChannel::close);
    }

    private static Logger auditLogger() {
        return (Logger) LoggerFactory.getLogger("io.sluice.audit");
    }

    private AdminChannel connect(boolean openHealth, boolean openMetrics) {
        AdminApi api = new AdminApi(new Authenticator(List.of(new AdminToken("alice", ALICE),
                new AdminToken("bob", BOB))), openHealth, openMetrics, services(state, engine, store,
                new LinkedHashSet<>(List.of("mx", "relay")),
                () -> "# TYPE sluice_cluster_members gauge\nsluice_cluster_members 1.0\n",
                () -> new ClusterStatus("embedded", List.of("127.0.0.1:5701", "127.0.0.1:5702"), true, 3,
                        List.of(Map.of("id", "a", "phase", "serving"), Map.of("id", "b", "phase", "draining")))));
        AdminChannel channel = new AdminChannel(api, MAX_BODY);
        channels.add(channel);
        return channel;
    }

    /** One egress pool of two sources. */
    static final EgressConfig EGRESS = new EgressConfig(DnsConfig.DEFAULT, Map.of("normal", new EgressPoolConfig(
            "normal", List.of(new EgressSource(NetUtil.createInetAddressFromIpAddressString("127.0.0.10"), "out10.example.net"),
                    new EgressSource(NetUtil.createInetAddressFromIpAddressString("127.0.0.11"), "out11.example.net")),
            EgressSelection.ROUND_ROBIN, EgressTls.OPPORTUNISTIC)), Duration.ofSeconds(30), 25,
            EgressDestinations.DEFAULT);

    /** The admin API's services on one local engine, with the overrides and inspector of that engine. */
    static AdminServices services(NodeState state, PolicyEngine engine, PolicyStore store, Set<String> listeners,
                                  Supplier<String> metrics, Supplier<ClusterStatus> cluster) {
        return services(state, engine, store, listeners, metrics, cluster, Admissions.none());
    }

    /** The same, with the backend pools' admission given. */
    static AdminServices services(NodeState state, PolicyEngine engine, PolicyStore store, Set<String> listeners,
                                  Supplier<String> metrics, Supplier<ClusterStatus> cluster, Admissions admissions) {
        EgressPools pools = new EgressPools(EGRESS, new SimpleMeterRegistry());
        return new AdminServices(state, store, new LocalOverrideStore(engine, engine.clock()),
                new PolicyInspector(engine), listeners, metrics, cluster, engine.clock(), pools,
                SourceSuspensions.alone(pools), admissions);
    }

    private AdminChannel connect() {
        return connect(true, true);
    }

    @Test
    void probesAnswerWithoutATokenAndFollowTheNodesPhase() {
        AdminChannel admin = connect();

        Response starting = admin.exchange(request("GET", "/healthz/ready", "", ""));
        Response live = admin.exchange(request("GET", "/healthz/live", "", ""));
        state.advance(NodeState.Phase.STARTING, NodeState.Phase.SERVING);
        state.countSessionsWith(() -> 1);
        Response serving = admin.exchange(request("GET", "/healthz/ready?verbose=1", "", ""));
        state.advance(NodeState.Phase.SERVING, NodeState.Phase.STOPPED);
        Response stopped = admin.exchange(request("GET", "/healthz/live", "", ""));

        assertThat(starting.status()).isEqualTo(503);
        assertThat(starting.body()).isEqualTo("{\n  \"ready\" : false,\n  \"phase\" : \"starting\",\n"
                + "  \"sessions\" : 0\n}\n");
        assertThat(starting.header("Content-Type")).isEqualTo("application/json; charset=utf-8");
        assertThat(starting.header("Cache-Control")).isEqualTo("no-store");
        assertThat(live.status()).isEqualTo(200);
        assertThat(live.json().get("live").asBoolean()).isTrue();
        assertThat(serving.status()).isEqualTo(200);
        assertThat(serving.json().get("phase").asText()).isEqualTo("serving");
        assertThat(serving.json().get("sessions").asInt()).isEqualTo(1);
        assertThat(stopped.status()).isEqualTo(503);
        assertThat(admin.isOpen()).as("keep-alive").isTrue();
    }

    @Test
    void metricsAreThePrometheusTextFormat() {
        Response metrics = connect().exchange(request("GET", "/metrics", "", ""));

        assertThat(metrics.status()).isEqualTo(200);
        assertThat(metrics.header("Content-Type")).isEqualTo("text/plain; version=0.0.4; charset=utf-8");
        assertThat(metrics.body()).contains("sluice_cluster_members 1.0");
    }

    @Test
    void closedProbesAndMetricsNeedAToken() {
        AdminChannel admin = connect(false, false);

        assertThat(admin.exchange(request("GET", "/healthz/live", "", "")).status()).isEqualTo(401);
        assertThat(admin.exchange(request("GET", "/metrics", "", "")).status()).isEqualTo(401);
        assertThat(admin.exchange(request("GET", "/healthz/live", AS_ALICE, "")).status()).isEqualTo(200);
        assertThat(admin.exchange(request("GET", "/metrics", AS_ALICE, "")).status()).isEqualTo(200);
    }

    @Test
    void theApiWantsAValidBearerToken() {
        AdminChannel admin = connect();

        Response none = admin.exchange(request("GET", "/api/v1/policy", "", ""));
        Response wrong = admin.exchange(request("GET", "/api/v1/policy", "Authorization: Bearer " + ALICE + "x\r\n",
                ""));
        Response basic = admin.exchange(request("GET", "/api/v1/policy", "Authorization: Basic YWxpY2U6eA==\r\n", ""));
        Response prefix = admin.exchange(request("GET", "/api/v1/policy",
                "Authorization: Bearer " + ALICE.substring(0, 10) + "\r\n", ""));
        Response lowerCaseScheme = admin.exchange(request("GET", "/api/v1/policy",
                "Authorization: bearer " + BOB + "\r\n", ""));

        assertThat(none.status()).isEqualTo(401);
        assertThat(none.header("WWW-Authenticate")).isEqualTo("Bearer realm=\"sluice\"");
        assertThat(none.json().get("error").asText()).isEqualTo(
                "a bearer token is required: Authorization: Bearer <secret>");
        assertThat(List.of(wrong, basic, prefix)).allSatisfy(response -> {
            assertThat(response.status()).isEqualTo(401);
            assertThat(response.header("WWW-Authenticate"))
                    .isEqualTo("Bearer realm=\"sluice\", error=\"invalid_token\"");
            assertThat(response.json().get("error").asText()).isEqualTo("the bearer token is not valid");
        });
        assertThat(lowerCaseScheme.status()).isEqualTo(200);
    }

    @Test
    void unknownPathsAre404AndWrongMethods405WithAllow() {
        AdminChannel admin = connect();

        Response unknown = admin.exchange(request("GET", "/api/v2/policy", AS_ALICE, ""));
        Response drainByGet = admin.exchange(request("GET", "/api/v1/cluster/drain", AS_ALICE, ""));
        Response validateByGet = admin.exchange(request("GET", "/api/v1/policy/validate", AS_ALICE, ""));
        Response deletePolicy = admin.exchange(request("DELETE", "/api/v1/policy", AS_ALICE, ""));
        Response postHealth = admin.exchange(request("POST", "/healthz/live", "", ""));

        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.json().get("error").asText()).startsWith("no such resource");
        assertThat(List.of(drainByGet, validateByGet, deletePolicy, postHealth))
                .extracting(Response::status, response -> response.header("Allow"))
                .containsExactly(tuple(405, "POST"), tuple(405, "POST"), tuple(405, "GET, PUT"), tuple(405, "GET"));
        assertThat(drainByGet.json().get("error").asText()).isEqualTo("GET is not allowed here (expected: POST)");
        assertThat(drains).as("a GET never drains").hasValue(0);
    }

    @Test
    void theCurrentPolicyComesWithItsVersionAsETag() {
        Response policy = connect().exchange(request("GET", "/api/v1/policy", AS_ALICE, ""));

        assertThat(policy.status()).isEqualTo(200);
        assertThat(policy.header("ETag")).isEqualTo("\"1\"");
        assertThat(policy.json().get("limits").size()).isZero();
        assertThat(policy.json().get("concurrency").get(0).get("name").asText()).isEqualTo("start");
        assertThat(policy.json().get("concurrency").get(0).get("max").asInt()).isEqualTo(100);
    }

    @Test
    void aValidChangeOnTheCurrentVersionIsInForceAndAudited() {
        AdminChannel admin = connect();

        Response put = admin.exchange(request("PUT", "/api/v1/policy", AS_ALICE + "If-Match: \"1\"\r\n",
                VALID_POLICY));
        Response after = admin.exchange(request("GET", "/api/v1/policy", AS_ALICE, ""));

        assertThat(put.status()).isEqualTo(200);
        assertThat(put.header("ETag")).isEqualTo("\"2\"");
        assertThat(put.json().get("version").asLong()).isEqualTo(2);
        assertThat(store.current().version()).isEqualTo(2);
        assertThat(engine.policy().config().limits()).extracting(rule -> rule.name()).containsExactly("per-ip");
        assertThat(after.header("ETag")).isEqualTo("\"2\"");
        assertThat(after.json().get("limits").get(0).get("rate").asText()).isEqualTo("1/1h");
        assertThat(audit.list).hasSize(1);
        ILoggingEvent line = audit.list.get(0);
        assertThat(line.getFormattedMessage()).isEqualTo(
                "policy replaced actor=alice client_ip=embedded action=policy.replace old_version=1 new_version=2"
                        + " policy_sha256=" + PolicyDocument.sha256(PolicyDocument.json(store.current().policy())));
        assertThat(line.getLevel().toString()).isEqualTo("INFO");
        assertThat(line.getFormattedMessage() + List.of(line.getArgumentArray())).doesNotContain(ALICE, "per-ip");
    }

    @Test
    void whatGetReturnsCanBePutBackUnchanged() {
        AdminChannel admin = connect();
        admin.exchange(request("PUT", "/api/v1/policy", AS_ALICE + "If-Match: \"1\"\r\n", VALID_POLICY));
        Response got = admin.exchange(request("GET", "/api/v1/policy", AS_ALICE, ""));

        Response put = admin.exchange(request("PUT", "/api/v1/policy", AS_ALICE + "If-Match: "
                + got.header("ETag") + "\r\nContent-Type: application/json\r\n", got.body()));

        assertThat(put.status()).isEqualTo(200);
        assertThat(store.current()).isEqualTo(new VersionedPolicy(3, store.current().policy()));
        assertThat(admin.exchange(request("GET", "/api/v1/policy", AS_ALICE, "")).body()).isEqualTo(got.body());
    }

    @Test
    void aChangeNeedsIfMatchAndAStaleOneChangesNothing() {
        AdminChannel admin = connect();

        Response missing = admin.exchange(request("PUT", "/api/v1/policy", AS_ALICE, VALID_POLICY));
        Response any = admin.exchange(request("PUT", "/api/v1/policy", AS_ALICE + "If-Match: *\r\n", VALID_POLICY));
        Response stale = admin.exchange(request("PUT", "/api/v1/policy", AS_ALICE + "If-Match: \"7\"\r\n",
                VALID_POLICY));
        Response weak = admin.exchange(request("PUT", "/api/v1/policy", AS_ALICE + "If-Match: W/\"1\"\r\n",
                VALID_POLICY));
        Response unquoted = admin.exchange(request("PUT", "/api/v1/policy", AS_ALICE + "If-Match: 1\r\n",
                VALID_POLICY));

        assertThat(missing.status()).isEqualTo(428);
        assertThat(missing.json().get("error").asText()).startsWith("If-Match is required");
        assertThat(any.status()).isEqualTo(428);
        assertThat(List.of(stale, weak, unquoted)).allSatisfy(response -> {
            assertThat(response.status()).isEqualTo(412);
            assertThat(response.header("ETag")).isEqualTo("\"1\"");
        });
        assertThat(stale.json().get("error").asText()).isEqualTo(
                "the policy is at version 1 now; GET it again, and base the change on its ETag \"1\"");
        assertThat(store.current()).isEqualTo(new VersionedPolicy(1, START));
        assertThat(audit.list).isEmpty();
    }

    @Test
    void anInvalidPolicyGets400ListingEveryErrorAndChangesNothing() {
        AdminChannel admin = connect();
        String invalid = """
                limits:
                  - name: per-ip
                    listeners: [nowhere]
                    key: client-ip
                    counts: connections
                    rate: -5/1s
                  - name: per-ip
                    key: sender
                    counts: messages
                    rate: 10/1s
                    colour: red
                concurrency:
                  - {name: sessions, key: client-ip, max: 0}
                """;

        Response put = admin.exchange(request("PUT", "/api/v1/policy", AS_ALICE + "If-Match: \"1\"\r\n", invalid));
        Response validate = admin.exchange(request("POST", "/api/v1/policy/validate", AS_ALICE, invalid));

        for (Response response : List.of(put, validate)) {
            assertThat(response.status()).isEqualTo(400);
            JsonNode body = response.json();
            assertThat(body.get("error").asText()).isEqualTo("invalid policy: 5 errors");
            assertThat(body.get("valid").asBoolean()).isFalse();
            List<String> errors = new ArrayList<>();
            body.get("errors").forEach(error -> errors.add(error.get("line").asInt() + " "
                    + error.get("path").asText() + ": " + error.get("message").asText()));
            assertThat(errors).containsExactly(
                    "3 limits[0].listeners[0]: \"nowhere\" (expected: the name of a listener: mx, relay)",
                    "6 limits[0].rate: \"-5/1s\" (expected: a rate such as 500/1s or 30/1m)",
                    "7 limits[1].name: \"per-ip\" (expected: a name no other rule has; limits[0].name is also"
                            + " \"per-ip\")",
                    "11 limits[1].colour: unknown key (expected one of: name, listeners, key, prefixes, counts, rate,"
                            + " burst, reply, exceeded, tarpit, shadow, match, except, sync, fair-share)",
                    "13 concurrency[0].max: \"0\" (expected: an integer >= 1)");
        }
        assertThat(store.current()).isEqualTo(new VersionedPolicy(1, START));
        assertThat(engine.policy().config()).isEqualTo(START);
        assertThat(audit.list).isEmpty();
    }

    @Test
    void malformedJsonAndNonUtf8BodiesAre400() {
        AdminChannel admin = connect();

        Response json = admin.exchange(request("PUT", "/api/v1/policy", AS_ALICE + "If-Match: \"1\"\r\n",
                "{\"limits\": [ {\"name\": \"x\", }"));
        admin.send(("POST /api/v1/policy/validate HTTP/1.1\r\nHost: localhost\r\n" + AS_ALICE
                + "Content-Length: 2\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        admin.send(new byte[] {(byte) 0xc3, (byte) 0x28});
        Response binary = admin.responses().get(0);

        assertThat(json.status()).isEqualTo(400);
        assertThat(json.json().get("errors").get(0).get("message").asText()).startsWith("invalid YAML: ");
        assertThat(binary.status()).isEqualTo(400);
        assertThat(binary.json().get("errors").get(0).get("message").asText()).isEqualTo("not UTF-8 text");
        assertThat(store.current().version()).isEqualTo(1);
    }

    @Test
    void validateNeverApplies() {
        Response valid = connect().exchange(request("POST", "/api/v1/policy/validate", AS_ALICE, VALID_POLICY));

        assertThat(valid.status()).isEqualTo(200);
        assertThat(valid.json().get("valid").asBoolean()).isTrue();
        assertThat(store.current()).isEqualTo(new VersionedPolicy(1, START));
        assertThat(audit.list).isEmpty();
    }

    @Test
    void aBodyDeclaredOverTheLimitGets413AndIsSkippedForTheNextRequest() {
        AdminChannel admin = connect();
        String big = "x".repeat(MAX_BODY + 1);

        admin.send(request("PUT", "/api/v1/policy", AS_ALICE + "If-Match: \"1\"\r\n", big).substring(0, 200));
        List<Response> refused = admin.responses();
        admin.send(request("PUT", "/api/v1/policy", AS_ALICE + "If-Match: \"1\"\r\n", big).substring(200));
        Response next = admin.exchange(request("GET", "/healthz/live", "", ""));

        assertThat(refused).hasSize(1);
        assertThat(refused.get(0).status()).isEqualTo(413);
        assertThat(refused.get(0).header("Connection")).isNull();
        assertThat(refused.get(0).json().get("error").asText())
                .isEqualTo("request body larger than 2048 bytes (admin.max-body-size)");
        assertThat(next.status()).isEqualTo(200);
        assertThat(admin.isOpen()).isTrue();
        assertThat(store.current().version()).isEqualTo(1);
    }

    @Test
    void aBodyFoundOverTheLimitOrRefusedBeforeItIsSentCloses() {
        AdminChannel chunked = connect();
        AdminChannel expecting = connect();

        chunked.send("PUT /api/v1/policy HTTP/1.1\r\nHost: localhost\r\n" + AS_ALICE + "If-Match: \"1\"\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n");
        chunked.send(Integer.toHexString(MAX_BODY) + "\r\n" + "x".repeat(MAX_BODY) + "\r\n");
        chunked.send("10\r\n" + "x".repeat(16) + "\r\n0\r\n\r\n");
        Response byChunks = chunked.responses().get(0);
        Response continued = expecting.exchange("PUT /api/v1/policy HTTP/1.1\r\nHost: localhost\r\n" + AS_ALICE
                + "If-Match: \"1\"\r\nExpect: 100-continue\r\nContent-Length: " + (MAX_BODY + 1) + "\r\n\r\n");

        for (Response response : List.of(byChunks, continued)) {
            assertThat(response.status()).isEqualTo(413);
            assertThat(response.header("Connection")).isEqualTo("close");
            assertThat(response.json().get("error").asText())
                    .isEqualTo("request body larger than 2048 bytes (admin.max-body-size)");
        }
        assertThat(List.of(chunked, expecting)).noneMatch(AdminChannel::isOpen);
        assertThat(store.current().version()).isEqualTo(1);
    }

    @Test
    void aBodyWithinTheLimitAfter100ContinueIsRead() {
        AdminChannel admin = connect();

        admin.send("POST /api/v1/policy/validate HTTP/1.1\r\nHost: localhost\r\n" + AS_ALICE
                + "Expect: 100-continue\r\nContent-Length: " + VALID_POLICY.length() + "\r\n\r\n");
        List<Response> interim = admin.responses();
        Response validated = admin.exchange(VALID_POLICY);

        assertThat(interim).extracting(Response::status).containsExactly(100);
        assertThat(validated.status()).isEqualTo(200);
    }

    @Test
    void drainingIsAPostAndAudited() {
        state.advance(NodeState.Phase.STARTING, NodeState.Phase.SERVING);
        AdminChannel admin = connect();

        Response first = admin.exchange(request("POST", "/api/v1/cluster/drain", "Authorization: Bearer " + BOB
                + "\r\n", ""));
        Response again = admin.exchange(request("POST", "/api/v1/cluster/drain", AS_ALICE, ""));
        Response ready = admin.exchange(request("GET", "/healthz/ready", "", ""));

        assertThat(first.status()).isEqualTo(202);
        assertThat(first.json().get("phase").asText()).isEqualTo("draining");
        assertThat(first.json().get("draining").asBoolean()).isTrue();
        assertThat(again.status()).isEqualTo(202);
        assertThat(drains).hasValue(2);
        assertThat(ready.status()).isEqualTo(503);
        assertThat(audit.list).extracting(ILoggingEvent::getFormattedMessage).containsExactly(
                "drain requested actor=bob client_ip=embedded action=node.drain old_phase=serving"
                        + " new_phase=draining",
                "drain requested actor=alice client_ip=embedded action=node.drain old_phase=draining"
                        + " new_phase=draining");
        assertThat(audit.list.toString()).doesNotContain(BOB, ALICE);
    }

    @Test
    void clusterShowsThisNodeTheMembersAndEveryNodesPhase() {
        state.advance(NodeState.Phase.STARTING, NodeState.Phase.SERVING);

        JsonNode cluster = connect().exchange(request("GET", "/api/v1/cluster", AS_ALICE, "")).json();

        assertThat(cluster.get("node").toString()).isEqualTo("{\"phase\":\"serving\",\"ready\":true,"
                + "\"draining\":false,\"sessions\":0,\"policy-version\":1}");
        assertThat(cluster.get("cluster").toString()).isEqualTo("{\"mode\":\"embedded\",\"members\":"
                + "[\"127.0.0.1:5701\",\"127.0.0.1:5702\"],\"fallback\":true,\"fallback-episodes\":3}");
        assertThat(cluster.get("nodes")).extracting(node -> node.get("id").asText(), node -> node.get("phase").asText())
                .containsExactly(tuple("a", "serving"), tuple("b", "draining"));
    }

    @Test
    void aFailingEndpointGets500AndTheConnectionGoesOn() {
        state.drainWith(() -> {
            throw new IllegalStateException("controller broken");
        });
        AdminChannel admin = connect();

        Response failed = admin.exchange(request("POST", "/api/v1/cluster/drain", AS_ALICE, ""));
        Response next = admin.exchange(request("GET", "/healthz/live", "", ""));

        assertThat(failed.status()).isEqualTo(500);
        assertThat(failed.json().get("error").asText()).isEqualTo("internal error; see the node's log");
        assertThat(next.status()).isEqualTo(200);
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() {
        AdminChannel admin = connect();

        admin.send(request("GET", "/healthz/live", "", "") + request("GET", "/api/v1/policy", "", "")
                + request("PUT", "/api/v1/policy", AS_ALICE + "If-Match: \"1\"\r\n", VALID_POLICY)
                + request("GET", "/api/v1/policy", AS_ALICE, ""));

        assertThat(admin.responses()).extracting(Response::status, response -> response.header("ETag"))
                .containsExactly(tuple(200, null), tuple(401, null), tuple(200, "\"2\""), tuple(200, "\"2\""));
    }

    @Test
    void aRequestSplitAtEveryByteIsReadWhole() {
        AdminChannel admin = connect();

        admin.sendByteByByte(request("PUT", "/api/v1/policy", AS_ALICE + "If-Match: \"1\"\r\n", VALID_POLICY));

        assertThat(admin.responses()).extracting(Response::status).containsExactly(200);
        assertThat(store.current().version()).isEqualTo(2);
    }

    @Test
    void malformedOrOversizedRequestHeadsAreRefusedAndTheConnectionCloses() {
        AdminChannel garbage = connect();
        AdminChannel longHeaders = connect();
        AdminChannel longLine = connect();

        Response bad = garbage.exchange("GET /healthz/live HTTP/1.1\r\nHost: localhost\r\nContent-Length: x\r\n\r\n");
        Response headers = longHeaders.exchange("GET /healthz/live HTTP/1.1\r\nHost: localhost\r\nX-Big: "
                + "a".repeat(9000) + "\r\n\r\n");
        Response line = longLine.exchange("GET /" + "a".repeat(5000) + " HTTP/1.1\r\nHost: localhost\r\n\r\n");

        assertThat(List.of(bad, headers, line)).extracting(Response::status).containsExactly(400, 431, 414);
        assertThat(List.of(garbage, longHeaders, longLine)).noneMatch(AdminChannel::isOpen);
    }

    @Test
    void http10WithoutKeepAliveIsClosedAfterTheResponse() {
        AdminChannel admin = connect();

        Response response = admin.exchange("GET /healthz/live HTTP/1.0\r\n\r\n");

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.header("Connection")).isEqualTo("close");
        assertThat(admin.isOpen()).isFalse();
    }

    @Test
    void anIdleConnectionIsClosed() {
        AdminApi api = new AdminApi(new Authenticator(List.of()), true, true, services(state, engine, store,
                Set.of("mx"), () -> "", () -> new ClusterStatus("local", List.of(), false, 0, List.of())));
        AdminChannel admin = new AdminChannel(api, MAX_BODY, Duration.ofMillis(50));
        channels.add(admin);
        admin.exchange(request("GET", "/healthz/live", "", ""));

        // The idle check reads the real clock; the embedded loop runs its timer when asked.
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            admin.channel().advanceTimeBy(50, TimeUnit.MILLISECONDS);
            admin.channel().runScheduledPendingTasks();
            return !admin.isOpen();
        });
    }

    @Test
    void withoutTokensOnlyTheOpenEndpointsAnswer() {
        AdminApi api = new AdminApi(new Authenticator(List.of()), true, true, services(state, engine, store,
                Set.of("mx"), () -> "", () -> new ClusterStatus("local", List.of(), false, 0, List.of())));
        AdminChannel admin = new AdminChannel(api, MAX_BODY);
        channels.add(admin);

        Response policy = admin.exchange(request("GET", "/api/v1/policy", AS_ALICE, ""));
        Response none = admin.exchange(request("GET", "/api/v1/policy", "", ""));

        assertThat(policy.status()).isEqualTo(401);
        assertThat(none.json().get("error").asText()).isEqualTo(
                "a bearer token is required, and none is configured (admin.token-file, admin.token-env)");
        assertThat(admin.exchange(request("GET", "/healthz/live", "", "")).status()).isEqualTo(200);
    }
}
