package io.sluice.proxy.admin;

import static io.sluice.proxy.admin.AdminChannel.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import io.github.bucket4j.TimeMeter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.config.AdminToken;
import io.sluice.config.ConcurrencyRule;
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
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Overrides, buckets and explanations through the admin API, with their errors and audit lines. */
class AdminInspectionTest {

    private static final String SECRET = "alice-secret-0123456789";
    private static final String AS_ALICE = "Authorization: Bearer " + SECRET + "\r\n";
    private static final Rate PER_HOUR = new Rate(1, Duration.ofHours(1));
    private static final PolicyConfig POLICY = new PolicyConfig(List.of(
            LimitRule.of("per-ip", RuleKey.CLIENT_IP, Counted.CONNECTIONS, PER_HOUR, 2),
            LimitRule.of("recipients", RuleKey.GLOBAL, Counted.RECIPIENTS, PER_HOUR, 1)),
            List.of(ConcurrencyRule.of("sessions", RuleKey.CLIENT_IP, 4)));

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final LimitStore limits = LimitStore.local(TimeMeter.SYSTEM_NANOTIME);
    private final PolicyEngine engine = new PolicyEngine(POLICY, limits.limiter(), limits.leases(), registry);
    private final ListAppender<ILoggingEvent> audit = new ListAppender<>();
    private AdminChannel admin;

    @BeforeEach
    void start() {
        audit.start();
        ((Logger) LoggerFactory.getLogger("io.sluice.audit")).addAppender(audit);
        AdminServices services = AdminHttpTest.services(new NodeState(), engine, new LocalPolicyStore(engine, registry),
                new LinkedHashSet<>(List.of("mx")), () -> "", () -> new ClusterStatus("local", List.of(), false, 0,
                        List.of()));
        admin = new AdminChannel(new AdminApi(new Authenticator(List.of(new AdminToken("alice", SECRET))), true,
                true, services), 4096);
    }

    @AfterEach
    void stop() {
        ((Logger) LoggerFactory.getLogger("io.sluice.audit")).detachAppender(audit);
        admin.close();
    }

    @Test
    void anOverrideIsAddedListedInForceAndRemoved() {
        Response added = post("/api/v1/overrides", """
                {"rule": "per-ip", "match": {"client-net": ["198.51.100.0/24"]}, "factor": 3, "for": "2h",
                 "reason": "partner migration"}
                """);

        assertThat(added.status()).as(added.body()).isEqualTo(201);
        String id = added.json().get("id").asText();
        assertThat(added.header("Location")).isEqualTo("/api/v1/overrides/" + id);
        assertThat(added.json().get("created-by").asText()).isEqualTo("alice");
        assertThat(added.json().get("match").toString()).isEqualTo("{\"client-net\":[\"198.51.100.0/24\"]}");
        assertThat(added.json().get("in-force").asBoolean()).isTrue();
        assertThat(get("/api/v1/overrides").json().get("overrides")).extracting(node -> node.get("id").asText())
                .containsExactly(id);
        assertThat(get("/api/v1/overrides/" + id).json().get("reason").asText()).isEqualTo("partner migration");
        JsonNode bucket = get("/api/v1/buckets/per-ip?client-ip=198.51.100.7").json();
        assertThat(bucket.get("capacity").asLong()).as("tripled").isEqualTo(6);
        assertThat(bucket.get("override").asText()).isEqualTo(id);

        Response removed = admin.exchange(request("DELETE", "/api/v1/overrides/" + id, AS_ALICE, ""));
        Response again = admin.exchange(request("DELETE", "/api/v1/overrides/" + id, AS_ALICE, ""));

        assertThat(removed.status()).isEqualTo(200);
        assertThat(again.status()).isEqualTo(404);
        assertThat(get("/api/v1/buckets/per-ip?client-ip=198.51.100.7").json().get("capacity").asLong())
                .isEqualTo(2);
        assertThat(audit.list).extracting(ILoggingEvent::getFormattedMessage).hasSize(2)
                .allSatisfy(line -> assertThat(line).contains("actor=alice", "override=" + id))
                .anySatisfy(line -> assertThat(line).contains("action=override.add", "rule=per-ip", "factor=3.0"))
                .anySatisfy(line -> assertThat(line).contains("action=override.remove"));
    }

    @Test
    void anInvalidOverrideGets400WithEveryErrorAndNothingIsAdded() {
        Response invalid = post("/api/v1/overrides", """
                {"rule": "nope", "factor": -1, "until": "yesterday", "colour": "red"}
                """);
        Response notJson = post("/api/v1/overrides", "{\"rule\": ");
        Response get = get("/api/v1/overrides/0123456789ab");
        Response byGet = admin.exchange(request("PUT", "/api/v1/overrides/0123456789ab", AS_ALICE, ""));

        assertThat(invalid.status()).isEqualTo(400);
        assertThat(invalid.json().get("error").asText()).isEqualTo("invalid override: 4 errors");
        assertThat(invalid.json().get("errors")).extracting(error -> error.get("path").asText())
                .containsExactlyInAnyOrder("rule", "factor", "until", "colour");
        assertThat(notJson.status()).isEqualTo(400);
        assertThat(get.status()).isEqualTo(404);
        assertThat(byGet.status()).isEqualTo(405);
        assertThat(byGet.header("Allow")).isEqualTo("GET, DELETE");
        assertThat(get("/api/v1/overrides").json().get("overrides")).isEmpty();
        assertThat(audit.list).isEmpty();
    }

    @Test
    void aBucketIsShownAndResetAndWrongQuestionsGetClearAnswers() throws Exception {
        engine.openSession("mx", InetAddress.getByName("198.51.100.7")).connect().join();

        JsonNode bucket = get("/api/v1/buckets/per-ip?client-ip=198.51.100.7").json();
        JsonNode slots = get("/api/v1/buckets/sessions?client-ip=198.51.100.7").json();
        Response reset = post("/api/v1/buckets/per-ip/reset?client-ip=198.51.100.7", "");
        JsonNode after = get("/api/v1/buckets/per-ip?client-ip=198.51.100.7").json();

        assertThat(bucket.toString()).isEqualTo("{\"rule\":\"per-ip\",\"key\":\"198.51.100.7\",\"counts\":\"tokens\","
                + "\"capacity\":2,\"available\":1,\"override\":null}");
        assertThat(slots.toString()).isEqualTo("{\"rule\":\"sessions\",\"key\":\"198.51.100.7\","
                + "\"counts\":\"sessions\",\"max\":4,\"available\":3,\"override\":null}");
        assertThat(reset.status()).isEqualTo(200);
        assertThat(after.get("available").asLong()).isEqualTo(2);
        assertThat(audit.list).singleElement().extracting(ILoggingEvent::getFormattedMessage).asString()
                .contains("action=bucket.reset", "rule=per-ip", "key=198.51.100.7", "actor=alice");

        assertThat(get("/api/v1/buckets/nope?client-ip=198.51.100.7").status()).isEqualTo(404);
        Response noAddress = get("/api/v1/buckets/per-ip");
        assertThat(noAddress.status()).isEqualTo(400);
        assertThat(noAddress.body()).contains("rule per-ip reads the client's address");
        assertThat(get("/api/v1/buckets/per-ip?client-ip=mx.example&listener=relay").json().get("errors"))
                .extracting(error -> error.get("path").asText()).containsExactly("listener", "client-ip");
        assertThat(post("/api/v1/buckets/sessions/reset?client-ip=198.51.100.7", "").status()).isEqualTo(409);
        assertThat(get("/api/v1/buckets/recipients").json().get("available").asLong())
                .as("a global rule needs no facts").isEqualTo(1);
    }

    @Test
    void explainTellsWhatASessionWouldBeToldStepByStep() {
        Response response = post("/api/v1/explain", """
                {"listener": "mx", "client-ip": "198.51.100.7", "helo": "client.example", "sender": "a@one.example",
                 "recipients": ["x@to.example", "y@to.example"]}
                """);

        assertThat(response.status()).as(response.body()).isEqualTo(200);
        JsonNode explanation = response.json();
        assertThat(explanation.get("outcome").asText()).isEqualTo("partially-admitted");
        assertThat(explanation.get("steps")).extracting(step -> step.get("stage").asText(),
                        step -> step.get("decision").asText())
                .containsExactly(tuple("connect", "admit"), tuple("rcpt", "admit"), tuple("rcpt", "refuse"));
        JsonNode refused = explanation.get("steps").get(2);
        assertThat(refused.get("recipient").asText()).isEqualTo("y@to.example");
        assertThat(refused.get("rule").asText()).isEqualTo("recipients");
        assertThat(refused.get("reply").asText()).startsWith("452 4.5.3 ");
        assertThat(refused.get("closes").asBoolean()).isFalse();
        assertThat(get("/api/v1/buckets/recipients?recipient=x@to.example").json().get("available").asLong())
                .as("explaining took nothing").isEqualTo(1);

        Response invalid = post("/api/v1/explain", "{\"client-ip\": \"nope\", \"recipients\": [], \"x\": 1}");
        assertThat(invalid.status()).isEqualTo(400);
        assertThat(invalid.json().get("errors")).extracting(error -> error.get("path").asText())
                .containsExactlyInAnyOrder("x", "client-ip", "recipients");
        assertThat(admin.exchange(request("GET", "/api/v1/explain", AS_ALICE, "")).status()).isEqualTo(405);
        assertThat(admin.exchange(request("POST", "/api/v1/explain", "", "{}")).status()).isEqualTo(401);
    }

    private Response get(String path) {
        return admin.exchange(request("GET", path, AS_ALICE, ""));
    }

    private Response post(String path, String body) {
        return admin.exchange(request("POST", path, AS_ALICE, body));
    }
}
