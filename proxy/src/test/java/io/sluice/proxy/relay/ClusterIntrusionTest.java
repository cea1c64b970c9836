package io.sluice.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hazelcast.client.HazelcastClient;
import com.hazelcast.client.config.ClientConfig;
import com.hazelcast.core.HazelcastInstance;
import io.sluice.proxy.peers.SmtpSinkProcess;
import io.sluice.testing.TestPorts;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An intruder on the cluster port of a Sluice process, with a real Hazelcast client and the right cluster name. By
 * default it cannot connect at all. Where clients are let in (client-port, for client-mode nodes), what it writes
 * without the cluster secret changes nothing: SMTP answers as before, the policy version stays, the admin API can
 * still change the policy, and every forgery is counted and logged.
 */
class ClusterIntrusionTest {

    private static final String TOKEN = "intrusion-test-0123456789";
    private static final String SECRET = "intrusion-test-cluster-secret-0123456789";
    private static final ObjectMapper JSON = new ObjectMapper();
    private final int adminPort = TestPorts.freeOnLoopback();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void aHazelcastClientCannotConnectToTheMemberPort(@TempDir Path dir) throws Exception {
        String name = "intrusion-" + UUID.randomUUID();
        int memberPort = TestPorts.freeOnLoopback();
        try (SmtpSinkProcess sink = SmtpSinkProcess.start();
             SluiceProcess sluice = start(dir, name, sink.port(), memberPort, "")) {

            assertThatThrownBy(() -> HazelcastClient.newHazelcastClient(intruder(name, memberPort)))
                    .as("a client with the right cluster name, at the member port")
                    .isInstanceOf(IllegalStateException.class);

            assertThat(deliver(sluice.port())).isEqualTo("250");
            assertThat(sluice.log()).contains("\"accepts_clients\":false");
        }
    }

    @Test
    void whatAClientWritesWithoutTheSecretChangesNothing(@TempDir Path dir) throws Exception {
        String name = "intrusion-" + UUID.randomUUID();
        int memberPort = TestPorts.freeOnLoopback();
        int clientPort = TestPorts.freeOnLoopback();
        Files.writeString(dir.resolve("cluster-secret"), SECRET + "\n");
        try (SmtpSinkProcess sink = SmtpSinkProcess.start();
             SluiceProcess sluice = start(dir, name, sink.port(), memberPort,
                     "client-port: " + clientPort + ", secret-file: cluster-secret")) {
            HazelcastInstance client = HazelcastClient.newHazelcastClient(intruder(name, clientPort));
            try {
                // The attack of the security review: a policy at version 10^18 that refuses every connection, an
                // override, a suspended egress source, a node card, and the buckets cleared.
                client.getMap("sluice-policy").set("policy", ForgedEntry.policy(1_000_000_000_000_000_000L));
                client.getMap("sluice-overrides").set("forged-1", ForgedEntry.override("forged-1", "per-ip", 0));
                client.getMap("sluice-suspended-sources").set("normal|127.0.0.10", Boolean.TRUE);
                client.getMap("sluice-nodes").set("intruder", "{\"phase\":\"serving\"}");
            } finally {
                client.shutdown();
            }

            await("every forgery counted").atMost(Duration.ofSeconds(20)).until(() ->
                    forged("policy") >= 1 && forged("override") >= 1
                            && forged("suspension") >= 1 && forged("node-card") >= 1);

            assertThat(deliver(sluice.port())).as("SMTP answers as before").isEqualTo("250");
            HttpResponse<String> policy = admin("GET", "/api/v1/policy", null, null);
            assertThat(policy.headers().firstValue("ETag")).as("the policy version").contains("\"1\"");
            assertThat(JSON.readTree(admin("GET", "/api/v1/overrides", null, null).body())
                    .path("overrides")).as("overrides in force").isEmpty();
            JsonNode pools = JSON.readTree(admin("GET", "/api/v1/egress/pools", null, null).body());
            assertThat(pools.toString()).as("egress sources").doesNotContain("\"suspended\":true");
            assertThat(JSON.readTree(admin("GET", "/api/v1/cluster", null, null).body()).toString())
                    .as("the node list").doesNotContain("intruder");

            HttpResponse<String> change = admin("PUT", "/api/v1/policy",
                    "{\"limits\": [], \"concurrency\": []}", "\"1\"");
            assertThat(change.statusCode()).as("the admin API can still change the policy: %s", change.body())
                    .isEqualTo(200);
            assertThat(change.headers().firstValue("ETag")).contains("\"2\"");
            assertThat(sluice.log()).contains("cluster entry not signed with this cluster's secret; ignored")
                    .containsPattern("\"level\":\"INFO\".*\"policy_sha256\":\"[0-9a-f]{64}\"|"
                            + "\"policy_sha256\":\"[0-9a-f]{64}\".*\"level\":\"INFO\"");
        }
    }

    private SluiceProcess start(Path dir, String name, int sinkPort, int memberPort, String clusterExtra)
            throws IOException {
        Files.writeString(dir.resolve("tokens"), "test:" + TOKEN + "\n");
        int smtpPort = TestPorts.freeOnLoopback();
        String yaml = """
                smtp: { hostname: node.sluice.test }
                listeners:
                  - { name: mx, role: inbound, bind: "127.0.0.1:%d", backend-pool: mta }
                  - { name: relay, role: outbound, bind: "127.0.0.1:%d", allowed-clients: ["127.0.0.1/32"],
                      egress-pool: normal }
                backends:
                  mta: { servers: ["127.0.0.1:%d"], xclient: false }
                egress:
                  pools:
                    normal: { sources: [ { address: 127.0.0.10, helo: out.sluice.test } ] }
                cluster: { name: %s, bind: "127.0.0.1:%d"%s }
                admin: { bind: "127.0.0.1:%d", token-file: tokens }
                """.formatted(smtpPort, TestPorts.freeOnLoopback(), sinkPort, name, memberPort,
                clusterExtra.isEmpty() ? "" : ", " + clusterExtra, adminPort);
        return SluiceProcess.start(dir, "sluice", yaml, smtpPort);
    }

    /** A plain Hazelcast client that gives up after 5 s instead of retrying for ever. */
    private static ClientConfig intruder(String clusterName, int port) {
        ClientConfig config = new ClientConfig();
        config.setClusterName(clusterName);
        config.getNetworkConfig().addAddress("127.0.0.1:" + port);
        config.getConnectionStrategyConfig().getConnectionRetryConfig().setClusterConnectTimeoutMillis(5_000);
        config.setProperty("hazelcast.phone.home.enabled", "false");
        config.setProperty("hazelcast.logging.type", "slf4j");
        return config;
    }

    /** Sends one message through Sluice and returns the code of the reply to its final dot. */
    private static String deliver(int port) throws IOException {
        try (RawSmtpClient client = new RawSmtpClient(port)) {
            assertThat(client.reply()).startsWith("220");
            return client.startMessage().command("Subject: after the intrusion\r\n\r\nbody\r\n.").substring(0, 3);
        }
    }

    private long forged(String kind) throws Exception {
        String metrics = admin("GET", "/metrics", null, null).body();
        Matcher count = Pattern.compile("sluice_cluster_forged_total\\{[^}]*kind=\"" + kind + "\"[^}]*} (\\S+)")
                .matcher(metrics);
        return count.find() ? (long) Double.parseDouble(count.group(1)) : 0;
    }

    private HttpResponse<String> admin(String method, String path, String body, String ifMatch)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path))
                .timeout(Duration.ofSeconds(10)).header("Authorization", "Bearer " + TOKEN)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        if (ifMatch != null) {
            request.header("If-Match", ifMatch);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
