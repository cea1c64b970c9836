package io.sluice.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.config.AdminConfig;
import io.sluice.config.BucketSync;
import io.sluice.config.ClusterConfig;
import io.sluice.config.Counted;
import io.sluice.config.DrainConfig;
import io.sluice.config.HostPort;
import io.sluice.config.LimitRule;
import io.sluice.config.PolicyConfig;
import io.sluice.config.Rate;
import io.sluice.config.RuleKey;
import io.sluice.proxy.peers.SmtpSinkProcess;
import io.sluice.testing.TestPorts;
import io.sluice.testing.TestSecrets;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An override posted on one node raises the limit for real clients of the other, until it expires; and each
 * node's cluster view shows the other draining.
 */
class ClusterOverridesApiTest {

    private static final String SECRET = "operator-secret-0123456789";
    private static final String CLIENT = "127.0.0.33";
    // Exact: the test counts the override's shared bucket to the token, where the default sync lets each node spend
    // a token of its own before it synchronizes.
    private static final PolicyConfig ONE_CONNECTION = new PolicyConfig(List.of(exact(LimitRule.of("one-connection",
            RuleKey.CLIENT_IP, Counted.CONNECTIONS, new Rate(1, Duration.ofHours(1)), 1))), List.of());

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final ObjectMapper json = new ObjectMapper();

    @Test
    void anOverrideOnOneNodeRaisesTheLimitOnTheOtherUntilItExpires(@TempDir Path dir) throws Exception {
        Path tokens = Files.writeString(dir.resolve("tokens"), "operator:" + SECRET + "\n");
        List<HostPort> members = List.of(new HostPort("127.0.0.1", TestPorts.freeOnLoopback()),
                new HostPort("127.0.0.1", TestPorts.freeOnLoopback()));
        String name = "overrides-api-" + UUID.randomUUID();
        try (SmtpSinkProcess sink = SmtpSinkProcess.start();
             RunningSluice one = node(sink, tokens, name, members.get(0), members);
             RunningSluice two = node(sink, tokens, name, members.get(1), members)) {
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> two.server().limits().node().orElseThrow().memberCount() == 2);
            assertThat(greeting(two)).startsWith("220 ");
            assertThat(greeting(two)).as("over the rule as written").startsWith("421 4.7.0 ");

            HttpResponse<String> added = send(HttpRequest.newBuilder(one.admin("/api/v1/overrides"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"rule\": \"one-connection\", \"match\":"
                            + " {\"client-net\": [\"" + CLIENT + "/32\"]}, \"factor\": 3, \"for\": \"8s\"}")));
            assertThat(added.statusCode()).as(added.body()).isEqualTo(201);
            long start = System.nanoTime();
            await("in force on the other node").atMost(Duration.ofSeconds(5))
                    .until(() -> two.server().overrides().list().size() == 1);
            System.out.printf("override in force on the other node after %.1f ms%n",
                    (System.nanoTime() - start) / 1e6);

            for (int i = 0; i < 3; i++) {
                assertThat(greeting(two)).as("connection %d under the override's fresh bucket of 3", i + 1)
                        .startsWith("220 ");
            }
            assertThat(greeting(one)).as("the override's bucket is shared").startsWith("421 4.7.0 ");

            await("expired on both").atMost(Duration.ofSeconds(15)).until(() -> get(one, "/api/v1/overrides")
                    .get("overrides").isEmpty() && get(two, "/api/v1/overrides").get("overrides").isEmpty());
            assertThat(greeting(two)).as("the rule as written again, its bucket still empty").startsWith("421 4.7.0 ");

            assertThat(get(one, "/api/v1/cluster").get("nodes")).hasSize(2);
            HttpResponse<String> drain = send(HttpRequest.newBuilder(two.admin("/api/v1/cluster/drain"))
                    .POST(HttpRequest.BodyPublishers.noBody()));
            assertThat(drain.statusCode()).isEqualTo(202);
            await("the other node shows it draining").atMost(Duration.ofSeconds(3)).until(() -> {
                JsonNode nodes = get(one, "/api/v1/cluster").get("nodes");
                return nodes.size() == 2 && nodes.get(1).get("draining").asBoolean()
                        && !nodes.get(0).get("draining").asBoolean();
            });
        }
    }

    private static LimitRule exact(LimitRule rule) {
        return new LimitRule(rule.name(), rule.listeners(), rule.key(), rule.prefixes(), rule.counts(), rule.rate(),
                rule.burst(), rule.reply(), rule.exceeded(), rule.tarpit(), rule.shadow(), rule.match(), rule.except(),
                BucketSync.EXACT);
    }

    private static String greeting(RunningSluice node) throws Exception {
        try (RawSmtpClient client = new RawSmtpClient(CLIENT, node.port())) {
            return client.reply();
        }
    }

    private JsonNode get(RunningSluice node, String path) throws Exception {
        HttpResponse<String> response = send(HttpRequest.newBuilder(node.admin(path)).GET());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return json.readTree(response.body());
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return http.send(request.header("Authorization", "Bearer " + SECRET).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static RunningSluice node(SmtpSinkProcess sink, Path tokens, String name, HostPort member,
                                      List<HostPort> members) throws Exception {
        return RunningSluice.relayingTo(sink.port())
                .policy(ONE_CONNECTION)
                .drain(new DrainConfig(Duration.ofSeconds(5), Duration.ofSeconds(1)))
                .cluster(ClusterConfig.EMBEDDED_DEFAULT.withSecret(TestSecrets.CLUSTER)
                        .withMembers(ClusterConfig.Mode.EMBEDDED, member, members).withName(name))
                .admin(AdminConfig.DEFAULT.withBind(new HostPort("127.0.0.1", 0)).withTokenFile(tokens))
                .start();
    }
}
