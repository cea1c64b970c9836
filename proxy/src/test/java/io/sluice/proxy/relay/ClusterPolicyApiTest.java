package io.sluice.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.sluice.config.AdminConfig;
import io.sluice.config.ClusterConfig;
import io.sluice.config.HostPort;
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
import org.slf4j.LoggerFactory;

/**
 * A policy PUT through one node's admin API is in force on the other node of the cluster, and each node's audit says
 * so with the same SHA-256: the API's line with who made it, the other node's as taken from the cluster.
 */
class ClusterPolicyApiTest {

    private static final String SECRET = "operator-secret-0123456789";

    @Test
    void aPolicyPutOnOneNodeLimitsClientsOfTheOther(@TempDir Path dir) throws Exception {
        Path tokens = Files.writeString(dir.resolve("tokens"), "operator:" + SECRET + "\n");
        List<HostPort> members = List.of(new HostPort("127.0.0.1", TestPorts.freeOnLoopback()),
                new HostPort("127.0.0.1", TestPorts.freeOnLoopback()));
        String name = "policy-api-" + UUID.randomUUID();
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        Logger auditLogger = (Logger) LoggerFactory.getLogger("io.sluice.audit");
        ListAppender<ILoggingEvent> audit = new ListAppender<>();
        audit.start();
        auditLogger.addAppender(audit);
        try (SmtpSinkProcess sink = SmtpSinkProcess.start();
             RunningSluice one = node(sink, tokens, name, members.get(0), members);
             RunningSluice two = node(sink, tokens, name, members.get(1), members)) {
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> two.server().limits().node().orElseThrow().memberCount() == 2);

            HttpResponse<String> put = http.send(HttpRequest.newBuilder(one.admin("/api/v1/policy"))
                    .header("Authorization", "Bearer " + SECRET).header("If-Match", "\"1\"")
                    .PUT(HttpRequest.BodyPublishers.ofString("""
                            limits:
                              - { name: one-connection, key: client-ip, counts: connections, rate: 1/1h, burst: 1 }
                            """)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(put.statusCode()).as(put.body()).isEqualTo(200);

            await("version 2 on the other node").atMost(Duration.ofSeconds(10))
                    .until(() -> two.server().policyStore().current().version() == 2);
            HttpResponse<String> read = http.send(HttpRequest.newBuilder(two.admin("/api/v1/policy"))
                    .header("Authorization", "Bearer " + SECRET).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(read.headers().firstValue("ETag")).contains("\"2\"");
            assertThat(read.body()).contains("one-connection");
            try (RawSmtpClient first = new RawSmtpClient("127.0.0.31", two.port())) {
                assertThat(first.reply()).startsWith("220 ");
            }
            try (RawSmtpClient second = new RawSmtpClient("127.0.0.31", one.port())) {
                assertThat(second.reply()).as("the bucket is shared too").startsWith("421 4.7.0 ");
            }
            // The other node writes its audit line on a Hazelcast thread, just after putting the policy in force.
            await("the other node's audit of what it took from the cluster").atMost(Duration.ofSeconds(10))
                    .until(() -> auditLines(audit).stream().anyMatch(line -> line.startsWith("policy applied")));
            List<String> lines = auditLines(audit);
            String replaced = lines.stream().filter(line -> line.startsWith("policy replaced actor=operator"))
                    .findFirst().orElseThrow(() -> new AssertionError("no API audit line in " + lines));
            String digest = replaced.replaceAll(".*policy_sha256=([0-9a-f]{64}).*", "$1");
            assertThat(lines).as("the same digest on both nodes")
                    .contains("policy applied action=policy.apply policy_version=2 policy_sha256=" + digest
                            + " source=cluster");
        } finally {
            auditLogger.detachAppender(audit);
        }
    }

    private static List<String> auditLines(ListAppender<ILoggingEvent> audit) {
        return LogEvents.in(audit).stream().map(ILoggingEvent::getFormattedMessage).toList();
    }

    private static RunningSluice node(SmtpSinkProcess sink, Path tokens, String name, HostPort member,
                                      List<HostPort> members) throws Exception {
        return RunningSluice.relayingTo(sink.port())
                .cluster(ClusterConfig.EMBEDDED_DEFAULT.withSecret(TestSecrets.CLUSTER)
                        .withMembers(ClusterConfig.Mode.EMBEDDED, member, members).withName(name))
                .admin(AdminConfig.DEFAULT.withBind(new HostPort("127.0.0.1", 0)).withTokenFile(tokens))
                .start();
    }
}
