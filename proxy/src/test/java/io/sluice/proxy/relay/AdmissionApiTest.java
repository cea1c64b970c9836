package io.sluice.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.config.AdminConfig;
import io.sluice.config.AdmissionConfig;
import io.sluice.config.AdmissionMode;
import io.sluice.config.HostPort;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /api/v1/admission} and the admission in {@code POST /api/v1/explain} of a running node, over real HTTP on
 * loopback, for a pool in each mode after some traffic: what each answers, and what a MAIL is told while the limit is
 * full. The limit is pinned (min = max) so that what the law learns does not move it under the test.
 */
@Timeout(120)
class AdmissionApiTest {

    private static final String SECRET = "reader-secret-0123456789";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private static final int LIMIT = 2;
    private static final int MESSAGES = 3;

    @TempDir
    Path dir;

    @Test
    void offShowsOnlyItsModeRegistersNothingAndTheExplanationAdmits() throws Exception {
        try (RecordingBackend backend = RecordingBackend.keepingContent();
             RunningSluice sluice = node(backend, AdmissionConfig.OFF)) {
            deliver(sluice, MESSAGES);

            JsonNode pools = admission(sluice);
            assertThat(pools.toString()).isEqualTo("{\"mta\":{\"mode\":\"off\"}}");
            // Off computes nothing and times nothing: after traffic, no meter of admission or backend latency.
            assertThat(sluice.server().registry().getMeters()).extracting(meter -> meter.getId().getName())
                    .noneMatch(name -> name.startsWith("sluice.admission.") || name.startsWith("sluice.backend.reply"));
            assertThat(explain(sluice).toString()).isEqualTo("{\"pool\":\"mta\",\"mode\":\"off\",\"admits\":true}");
        }
    }

    @Test
    void shadowCountsWhatItWouldRefuseAndAdmitsIt() throws Exception {
        try (RecordingBackend backend = RecordingBackend.keepingContent();
             RunningSluice sluice = node(backend, pinned(AdmissionMode.SHADOW))) {
            deliver(sluice, MESSAGES);
            List<RawSmtpClient> open = new ArrayList<>();
            try {
                // One over the limit: shadow lets it through, and counts it.
                for (int i = 0; i < LIMIT + 1; i++) {
                    open.add(new RawSmtpClient(sluice.port()));
                    assertThat(open.get(i).reply()).startsWith("220 ");
                    open.get(i).openTransaction();
                }
                JsonNode pool = admission(sluice).get("mta");
                assertThat(pool.get("mode").asText()).isEqualTo("shadow");
                assertThat(pool.get("limit").asInt()).isEqualTo(LIMIT);
                assertThat(pool.get("inflight").asInt()).isEqualTo(LIMIT + 1);
                assertThat(pool.get("would-be-inflight").asInt()).as("what it would have admitted").isEqualTo(LIMIT);
                assertThat(pool.get("refused").asLong()).isEqualTo(1);
                assertBackendReplies(pool, MESSAGES, LIMIT + 1);

                JsonNode explained = explain(sluice);
                assertThat(explained.get("at-limit").asBoolean()).isTrue();
                assertThat(explained.get("admits").asBoolean()).isTrue();
                assertThat(explained.has("reply")).isFalse();
            } finally {
                closeAll(open);
            }
            Awaitility.await().atMost(Duration.ofSeconds(10))
                    .until(() -> admission(sluice).get("mta").get("inflight").asInt() == 0);
        }
    }

    @Test
    void adaptiveRefusesOverItsLimitAndTheExplanationSaysSoUntilAPlaceIsFree() throws Exception {
        try (RecordingBackend backend = RecordingBackend.keepingContent();
             RunningSluice sluice = node(backend, pinned(AdmissionMode.ADAPTIVE))) {
            deliver(sluice, MESSAGES);
            JsonNode before = explain(sluice);
            assertThat(before.get("at-limit").asBoolean()).isFalse();
            assertThat(before.get("admits").asBoolean()).isTrue();

            List<RawSmtpClient> open = new ArrayList<>();
            try {
                for (int i = 0; i < LIMIT; i++) {
                    open.add(new RawSmtpClient(sluice.port()));
                    assertThat(open.get(i).reply()).startsWith("220 ");
                    open.get(i).openTransaction();
                }
                JsonNode full = explain(sluice);
                assertThat(full.toString()).isEqualTo("{\"pool\":\"mta\",\"mode\":\"adaptive\",\"limit\":2,"
                        + "\"inflight\":2,\"at-limit\":true,\"reserved\":0,\"reserve-refuses-first-time\":false,"
                        + "\"admits\":false,\"reply\":\"451 4.3.2 Busy, try again later\"}");
                try (RawSmtpClient over = new RawSmtpClient(sluice.port())) {
                    over.greetedAndIntroduced();
                    assertThat(over.command("MAIL FROM:<a@example.org>")).startsWith("451 4.3.2 Busy");
                }

                JsonNode pool = admission(sluice).get("mta");
                assertThat(pool.get("mode").asText()).isEqualTo("adaptive");
                assertThat(pool.get("limit").asInt()).isEqualTo(LIMIT);
                assertThat(pool.get("inflight").asInt()).isEqualTo(LIMIT);
                assertThat(pool.get("refused").asLong()).isEqualTo(1);
                assertThat(pool.get("drops").asLong()).isZero();
                assertBackendReplies(pool, MESSAGES, LIMIT);

                // A transaction ends: a MAIL would pass again.
                assertThat(open.get(0).command("RSET")).startsWith("250 ");
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> explain(sluice).get("admits").asBoolean());
                assertThat(explain(sluice).get("inflight").asInt()).isEqualTo(LIMIT - 1);
            } finally {
                closeAll(open);
            }
        }
    }

    /**
     * The backends' latency the law works from, each reply timed: one to DATA and one to the final dot per message
     * delivered, and one per recipient of those and of the transactions still open.
     */
    private static void assertBackendReplies(JsonNode pool, int messages, int stillOpen) {
        assertThat(pool.get("last-transaction-ms").asDouble()).isPositive();
        assertThat(pool.get("baseline-ms").asDouble()).as("the least so far").isPositive()
                .isLessThanOrEqualTo(pool.get("last-transaction-ms").asDouble());
        assertThat(pool.get("probing").isBoolean()).isTrue();
        JsonNode replies = pool.get("backend-reply");
        assertThat(replies.get("rcpt").get("count").asLong()).isEqualTo(messages + stillOpen);
        assertThat(replies.get("data").get("count").asLong()).isEqualTo(messages);
        assertThat(replies.get("end_of_data").get("count").asLong()).isEqualTo(messages);
        for (String stage : List.of("rcpt", "data", "end_of_data")) {
            assertThat(replies.get(stage).get("max-ms").asDouble()).as(stage).isPositive();
        }
    }

    private static AdmissionConfig pinned(AdmissionMode mode) {
        return new AdmissionConfig(mode, LIMIT, LIMIT, LIMIT, AdmissionConfig.DEFAULT_REPLY);
    }

    private RunningSluice node(RecordingBackend backend, AdmissionConfig admission) throws Exception {
        Path tokens = Files.writeString(dir.resolve("admin-tokens"), "reader:" + SECRET + "\n");
        return RunningSluice.relayingTo(backend.port()).admission(admission)
                .admin(AdminConfig.DEFAULT.withBind(new HostPort("127.0.0.1", 0)).withTokenFile(tokens))
                .start();
    }

    private static void deliver(RunningSluice sluice, int messages) throws IOException {
        for (int i = 0; i < messages; i++) {
            try (RawSmtpClient client = new RawSmtpClient(sluice.port())) {
                assertThat(client.reply()).startsWith("220 ");
                client.startMessage();
                assertThat(client.command("Subject: t\r\n\r\nbody\r\n.")).startsWith("250 ");
                assertThat(client.command("QUIT")).startsWith("221 ");
            }
        }
    }

    private static void closeAll(List<RawSmtpClient> clients) throws IOException {
        for (RawSmtpClient client : clients) {
            client.close();
        }
    }

    private static JsonNode admission(RunningSluice sluice) throws Exception {
        HttpResponse<String> response = send(HttpRequest.newBuilder(sluice.admin("/api/v1/admission")).GET());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body()).get("pools");
    }

    /** The admission part of an explanation for a client of the inbound listener. */
    private static JsonNode explain(RunningSluice sluice) throws Exception {
        HttpResponse<String> response = send(HttpRequest.newBuilder(sluice.admin("/api/v1/explain"))
                .POST(HttpRequest.BodyPublishers.ofString(
                        "{\"client-ip\": \"198.51.100.7\", \"recipients\": [\"b@example.net\"]}"))
                .header("Content-Type", "application/json"));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode explanation = JSON.readTree(response.body());
        assertThat(explanation.get("outcome").asText()).as("the rules' outcome").isEqualTo("admitted");
        return explanation.get("admission");
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return HTTP.send(request.header("Authorization", "Bearer " + SECRET).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
