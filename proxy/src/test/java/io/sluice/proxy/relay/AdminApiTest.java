package io.sluice.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.config.AdminConfig;
import io.sluice.config.HostPort;
import io.sluice.config.LimitRule;
import io.sluice.config.PolicyConfig;
import io.sluice.config.PolicyDocument;
import io.sluice.proxy.lifecycle.NodeState;
import io.sluice.proxy.peers.SmtpSinkProcess;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The admin API of a running node, over real HTTP on loopback: tokens, probes, metrics, and policy changes that
 * clients see on their next connection. Tests share the node, so each one reads the current ETag first and names
 * its rules and client addresses apart from the others'.
 */
class AdminApiTest {

    private static final String ALICE = "alice-secret-0123456789";
    private static final String BOB = "bob-secret-0123456789abcdef";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    @TempDir
    static Path dir;

    private static SmtpSinkProcess sink;
    private static RunningSluice sluice;

    @BeforeAll
    static void start() throws Exception {
        Path tokens = Files.writeString(dir.resolve("admin-tokens"), "# who:secret\nalice:" + ALICE + "\nbob:" + BOB
                + "\n");
        sink = SmtpSinkProcess.start();
        sluice = RunningSluice.relayingTo(sink.port())
                .admin(AdminConfig.DEFAULT.withBind(new HostPort("127.0.0.1", 0)).withTokenFile(tokens))
                .start();
    }

    @AfterAll
    static void stop() {
        if (sluice != null) {
            sluice.close();
        }
        if (sink != null) {
            sink.close();
        }
    }

    @Test
    void theNodeServesItsAdminApiOnLoopbackOnceItsListenersAreBound() {
        InetSocketAddress admin = sluice.server().adminAddress().orElseThrow();

        assertThat(admin.getAddress().isLoopbackAddress()).isTrue();
        assertThat(admin.getPort()).isPositive().isNotEqualTo(sluice.port());
        assertThat(sluice.server().state().phase()).isEqualTo(NodeState.Phase.SERVING);
    }

    @Test
    void withoutATokenOrWithAWrongOneTheApiIs401() throws Exception {
        HttpResponse<String> none = send(get("/api/v1/policy"));
        HttpResponse<String> wrong = send(get("/api/v1/policy").header("Authorization", "Bearer " + ALICE + "0"));
        HttpResponse<String> right = send(get("/api/v1/policy").header("Authorization", "Bearer " + ALICE));

        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.headers().firstValue("WWW-Authenticate")).contains("Bearer realm=\"sluice\"");
        assertThat(json(none).get("error").asText()).contains("bearer token is required");
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(json(wrong).get("error").asText()).isEqualTo("the bearer token is not valid");
        assertThat(right.statusCode()).isEqualTo(200);
    }

    @Test
    void probesAreOpen() throws Exception {
        HttpResponse<String> live = send(get("/healthz/live"));
        HttpResponse<String> ready = send(get("/healthz/ready"));

        assertThat(live.statusCode()).isEqualTo(200);
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(json(ready).get("phase").asText()).isEqualTo("serving");
    }

    @Test
    void metricsCountTheDecisionsOfTheRules() throws Exception {
        put("""
                limits:
                  - {name: metered, key: client-ip, counts: connections, rate: 100/1h}
                """);
        try (RawSmtpClient client = new RawSmtpClient("127.0.0.41", sluice.port())) {
            assertThat(client.reply()).startsWith("220 ");
        }

        HttpResponse<String> metrics = send(get("/metrics"));

        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.headers().firstValue("Content-Type")).contains("text/plain; version=0.0.4; charset=utf-8");
        assertThat(metrics.body()).contains("sluice_limit_decisions_total{outcome=\"admitted\",rule=\"metered\"} 1.0");
        assertThat(metrics.body()).containsPattern("sluice_policy_version \\d+\\.0");
    }

    @Test
    void aPolicyChangeIsInForceForTheNextConnectionWithoutDroppingOpenSessions() throws Exception {
        try (RawSmtpClient before = new RawSmtpClient("127.0.0.42", sluice.port())) {
            assertThat(before.reply()).startsWith("220 ");

            HttpResponse<String> put = put("""
                    limits:
                      - {name: one-per-ip, listeners: [mx], key: client-ip, counts: connections, rate: 1/1h, burst: 1}
                    """);

            assertThat(put.statusCode()).isEqualTo(200);
            try (RawSmtpClient first = new RawSmtpClient("127.0.0.42", sluice.port())) {
                assertThat(first.reply()).startsWith("220 ");
                try (RawSmtpClient second = new RawSmtpClient("127.0.0.42", sluice.port())) {
                    assertThat(second.reply()).isEqualTo("421 4.7.0 Too many connections, try again later");
                }
            }
            assertThat(before.command("EHLO client.example")).startsWith("250 ");
            assertThat(before.command("QUIT")).startsWith("221 ");
        }
    }

    @Test
    void getGivesThePolicyAndItsVersionAndAStaleChangeIs412() throws Exception {
        HttpResponse<String> current = send(authorized(get("/api/v1/policy")));
        String etag = current.headers().firstValue("ETag").orElseThrow();
        long version = Long.parseLong(etag.replace("\"", ""));
        assertThat(version).isEqualTo(sluice.server().policyStore().current().version());
        assertThat(json(current).has("limits")).isTrue();
        put(current.body());

        HttpResponse<String> stale = send(authorized(HttpRequest.newBuilder(sluice.admin("/api/v1/policy"))
                .PUT(HttpRequest.BodyPublishers.ofString(current.body())).header("If-Match", etag)));

        assertThat(stale.statusCode()).isEqualTo(412);
        assertThat(stale.headers().firstValue("ETag")).contains("\"" + (version + 1) + "\"");
    }

    @Test
    void ofConcurrentChangesOnOneVersionExactlyOneWins() throws Exception {
        String etag = send(authorized(get("/api/v1/policy"))).headers().firstValue("ETag").orElseThrow();
        List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            answers.add(HTTP.sendAsync(authorized(HttpRequest.newBuilder(sluice.admin("/api/v1/policy"))
                    .PUT(HttpRequest.BodyPublishers.ofString("concurrency: [{name: race-" + i
                            + ", key: global, max: 1000}]\n"))
                    .header("If-Match", etag)).build(), HttpResponse.BodyHandlers.ofString()));
        }

        List<Integer> statuses = answers.stream().map(answer -> answer.join().statusCode()).sorted().toList();

        assertThat(statuses).containsExactly(200, 412, 412, 412, 412, 412);
    }

    @Test
    void badInputGetsTheRight4xxAndTheRunningPolicyIsUnchanged() throws Exception {
        HttpResponse<String> before = send(authorized(get("/api/v1/policy")));
        String etag = before.headers().firstValue("ETag").orElseThrow();
        PolicyConfig running = sluice.server().policy().policy().config();
        Map<String, Integer> cases = Map.of(
                "{\"limits\": [ {\"name\": \"x\" ", 400,
                "limits: [{name: typo, key: global, counts: messages, rate: 5/1s, brust: 5}]\n", 400,
                "limits: [{name: negative, key: global, counts: messages, rate: -5/1s}]\n", 400,
                "limits: [{name: elsewhere, listeners: [nowhere], key: global, counts: messages, rate: 5/1s}]\n", 400,
                "limits: [{name: huge, key: global, counts: messages, rate: 5/1s, reply: \""
                        + "x".repeat((int) AdminConfig.DEFAULT_MAX_BODY_SIZE) + "\"}]\n", 413);

        for (Map.Entry<String, Integer> bad : cases.entrySet()) {
            HttpResponse<String> response = send(authorized(HttpRequest.newBuilder(sluice.admin("/api/v1/policy"))
                    .PUT(HttpRequest.BodyPublishers.ofString(bad.getKey())).header("If-Match", etag)));
            assertThat(response.statusCode()).as(response.body()).isEqualTo(bad.getValue());
            assertThat(json(response).get("error").asText()).isNotBlank();
        }
        HttpResponse<String> noToken = send(HttpRequest.newBuilder(sluice.admin("/api/v1/policy"))
                .PUT(HttpRequest.BodyPublishers.ofString(before.body())).header("If-Match", etag));
        HttpResponse<String> wrongToken = send(HttpRequest.newBuilder(sluice.admin("/api/v1/policy"))
                .PUT(HttpRequest.BodyPublishers.ofString(before.body())).header("If-Match", etag)
                .header("Authorization", "Bearer not-" + BOB));

        assertThat(List.of(noToken.statusCode(), wrongToken.statusCode())).containsOnly(401);
        HttpResponse<String> after = send(authorized(get("/api/v1/policy")));
        assertThat(after.headers().firstValue("ETag")).contains(etag);
        assertThat(after.body()).isEqualTo(before.body());
        assertThat(sluice.server().policy().policy().config()).isSameAs(running);
    }

    @Test
    void anInvalidPolicyIsAnsweredWithEveryErrorAndItsPath() throws Exception {
        String etag = send(authorized(get("/api/v1/policy"))).headers().firstValue("ETag").orElseThrow();

        HttpResponse<String> response = send(authorized(HttpRequest.newBuilder(sluice.admin("/api/v1/policy"))
                .PUT(HttpRequest.BodyPublishers.ofString("""
                        {"limits": [
                          {"name": "bad", "listeners": ["nowhere"], "key": "client-ip", "counts": "connections",
                           "rate": "0/1s", "burst": -1},
                          {"name": "Bad Name", "key": "everyone", "counts": "messages", "rate": "5/1s"}
                        ]}
                        """)).header("If-Match", etag).header("Content-Type", "application/json")));

        assertThat(response.statusCode()).isEqualTo(400);
        List<String> paths = new ArrayList<>();
        json(response).get("errors").forEach(error -> paths.add(error.get("path").asText()));
        assertThat(paths).containsExactly("limits[0].listeners[0]", "limits[0].rate", "limits[0].burst",
                "limits[1].name", "limits[1].key");
    }

    @Test
    void validateNeverApplies() throws Exception {
        String etag = send(authorized(get("/api/v1/policy"))).headers().firstValue("ETag").orElseThrow();

        HttpResponse<String> validated = send(authorized(HttpRequest.newBuilder(sluice.admin(
                "/api/v1/policy/validate")).POST(HttpRequest.BodyPublishers.ofString("""
                        limits:
                          - {name: never-applied, key: client-ip, counts: connections, rate: 1/1h}
                        """))));

        assertThat(validated.statusCode()).isEqualTo(200);
        assertThat(json(validated).get("valid").asBoolean()).isTrue();
        HttpResponse<String> after = send(authorized(get("/api/v1/policy")));
        assertThat(after.headers().firstValue("ETag")).contains(etag);
        assertThat(after.body()).doesNotContain("never-applied");
        assertThat(sluice.server().policy().policy().config().limits()).extracting(LimitRule::name)
                .doesNotContain("never-applied");
    }

    @Test
    void everyChangeIsAuditedWithTheTokensNameAndNeverTheSecret() throws Exception {
        Logger logger = (Logger) LoggerFactory.getLogger("io.sluice.audit");
        ListAppender<ILoggingEvent> audit = new ListAppender<>();
        audit.start();
        logger.addAppender(audit);
        try {
            String etag = send(authorized(get("/api/v1/policy"))).headers().firstValue("ETag").orElseThrow();
            long version = Long.parseLong(etag.replace("\"", ""));

            HttpResponse<String> put = send(HttpRequest.newBuilder(sluice.admin("/api/v1/policy"))
                    .PUT(HttpRequest.BodyPublishers.ofString("concurrency: [{name: audited, key: global, max: 5}]"))
                    .header("If-Match", etag).header("Authorization", "Bearer " + BOB));

            assertThat(put.statusCode()).isEqualTo(200);
            String digest = PolicyDocument.sha256(PolicyDocument.json(sluice.server().policyStore().current()
                    .policy()));
            assertThat(audit.list).extracting(ILoggingEvent::getFormattedMessage).containsExactly(
                    "policy replaced actor=bob client_ip=127.0.0.1 action=policy.replace old_version=" + version
                            + " new_version=" + (version + 1) + " policy_sha256=" + digest);
            assertThat(audit.list.toString() + List.of(audit.list.get(0).getArgumentArray()))
                    .doesNotContain(BOB, "audited");
        } finally {
            logger.detachAppender(audit);
        }
    }

    @Test
    void theClusterViewShowsThisNodeAndStateChangesRefuseGet() throws Exception {
        HttpResponse<String> cluster = send(authorized(get("/api/v1/cluster")));
        HttpResponse<String> drainByGet = send(authorized(get("/api/v1/cluster/drain")));

        assertThat(cluster.statusCode()).isEqualTo(200);
        JsonNode body = json(cluster);
        assertThat(body.get("node").get("phase").asText()).isEqualTo("serving");
        assertThat(body.get("node").get("policy-version").asLong())
                .isEqualTo(sluice.server().policyStore().current().version());
        assertThat(body.get("cluster").get("mode").asText()).isEqualTo("local");
        assertThat(body.get("cluster").get("members").size()).isZero();
        assertThat(drainByGet.statusCode()).isEqualTo(405);
        assertThat(drainByGet.headers().firstValue("Allow")).contains("POST");
        assertThat(sluice.server().state().phase()).isEqualTo(NodeState.Phase.SERVING);
    }

    /** Replaces the policy on the current version and checks that it was accepted. */
    private static HttpResponse<String> put(String policy) throws Exception {
        String etag = send(authorized(get("/api/v1/policy"))).headers().firstValue("ETag").orElseThrow();
        HttpResponse<String> put = send(authorized(HttpRequest.newBuilder(sluice.admin("/api/v1/policy"))
                .PUT(HttpRequest.BodyPublishers.ofString(policy)).header("If-Match", etag)));
        assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
        return put;
    }

    private static HttpRequest.Builder get(String path) {
        return HttpRequest.newBuilder(sluice.admin(path)).GET();
    }

    private static HttpRequest.Builder authorized(HttpRequest.Builder request) {
        return request.header("Authorization", "Bearer " + ALICE);
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return HTTP.send(request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> response) throws IOException {
        return JSON.readTree(response.body());
    }
}
