package io.sluice.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.config.AdminConfig;
import io.sluice.config.DrainConfig;
import io.sluice.config.HostPort;
import io.sluice.proxy.lifecycle.NodeState;
import io.sluice.proxy.peers.SmtpSinkProcess;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The drain, started as SIGTERM starts it, seen from clients: announce, stop accepting, goodbye, deadline. */
class DrainTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void idleSessionsAreServedDuringTheAnnounceThenGet421AndNewOnesAreRefused() throws Exception {
        try (SmtpSinkProcess sink = SmtpSinkProcess.start();
             RunningSluice sluice = RunningSluice.relayingTo(sink.port())
                     .drain(new DrainConfig(Duration.ofSeconds(1), Duration.ofSeconds(10))).start();
             RawSmtpClient idle = new RawSmtpClient(sluice.port())) {
            assertThat(idle.reply()).startsWith("220 ");
            assertThat(idle.command("EHLO client.example")).startsWith("250 ");
            NodeState state = sluice.server().state();

            state.startDrain();
            state.startDrain();

            assertThat(state.ready()).isFalse();
            assertThat(state.live()).isTrue();
            try (RawSmtpClient duringAnnounce = new RawSmtpClient(sluice.port())) {
                assertThat(duringAnnounce.reply()).as("accepted and served during the announce").startsWith("220 ");
                assertThat(duringAnnounce.command("EHLO late.example")).startsWith("250 ");
                assertThat(idle.reply()).isEqualTo("421 4.3.2 Service shutting down, try again later");
                assertThat(duringAnnounce.reply()).isEqualTo("421 4.3.2 Service shutting down, try again later");
            }
            assertThat(idle.closedWithoutReply()).isTrue();
            assertThatThrownBy(() -> new RawSmtpClient(sluice.port()).close()).isInstanceOf(ConnectException.class);
            sluice.server().stopped().get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(state.phase()).isEqualTo(NodeState.Phase.STOPPED);
        }
    }

    @Test
    void aDataTransferUnderWayCompletesWithTheBackends250ThenGets421() throws Exception {
        try (SmtpSinkProcess sink = SmtpSinkProcess.start();
             RunningSluice sluice = RunningSluice.relayingTo(sink.port())
                     .drain(new DrainConfig(Duration.ZERO, Duration.ofSeconds(10))).start();
             RawSmtpClient client = new RawSmtpClient(sluice.port())) {
            client.reply();
            client.startMessage().send("Subject: in flight\r\n\r\nfirst half\r\n");

            sluice.server().state().startDrain();
            await("listeners closed").atMost(WAIT).until(() -> RawSmtpClient.refused(sluice.port()));
            client.send("second half\r\n");

            assertThat(client.command(".")).startsWith("250 ");
            assertThat(client.reply()).isEqualTo("421 4.3.2 Service shutting down, try again later");
            assertThat(sink.awaitMessages(1, WAIT).get(0).headers("Subject")).containsExactly("in flight");
            sluice.server().stopped().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        }
    }

    @Test
    void atTheDeadlineWhatIsLeftIsClosedAndNeverAcknowledged() throws Exception {
        try (SmtpSinkProcess sink = SmtpSinkProcess.start();
             RunningSluice sluice = RunningSluice.relayingTo(sink.port())
                     .drain(new DrainConfig(Duration.ZERO, Duration.ofSeconds(1))).start();
             RawSmtpClient slow = new RawSmtpClient(sluice.port())) {
            slow.reply();
            slow.startMessage().send("Subject: never finished\r\n\r\n");

            sluice.server().state().startDrain();
            sluice.server().stopped().get(WAIT.toSeconds(), TimeUnit.SECONDS);

            assertThat(slow.closedWithoutReply()).as("closed, no 250").isTrue();
            assertThat(sink.messages()).isEmpty();
        }
    }

    @Test
    void theAdminApiDrainsTheNodeAndTheProbesFollow(@TempDir Path dir) throws Exception {
        String secret = "operator-secret-0123456789";
        Path tokens = Files.writeString(dir.resolve("tokens"), "operator:" + secret + "\n");
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        try (SmtpSinkProcess sink = SmtpSinkProcess.start();
             RunningSluice sluice = RunningSluice.relayingTo(sink.port())
                     .admin(AdminConfig.DEFAULT.withBind(new HostPort("127.0.0.1", 0)).withTokenFile(tokens))
                     .drain(new DrainConfig(Duration.ofSeconds(2), Duration.ofSeconds(10))).start()) {
            assertThat(status(http, sluice.admin("/healthz/ready"), null)).isEqualTo(200);

            assertThat(status(http, sluice.admin("/api/v1/cluster/drain"), secret)).isEqualTo(202);

            assertThat(status(http, sluice.admin("/healthz/ready"), null)).as("not ready").isEqualTo(503);
            assertThat(status(http, sluice.admin("/healthz/live"), null)).as("still live").isEqualTo(200);
            HttpResponse<String> cluster = http.send(HttpRequest.newBuilder(sluice.admin("/api/v1/cluster"))
                    .header("Authorization", "Bearer " + secret).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(new ObjectMapper().readTree(cluster.body()).at("/node/draining").asBoolean()).isTrue();
            assertThat(sluice.server().registry().get("sluice.node.draining").gauge().value()).isEqualTo(1.0);
            sluice.server().stopped().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        }
    }

    /** POSTs when a token is given, GETs otherwise; the status code. */
    private static int status(HttpClient http, URI uri, String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri);
        if (token != null) {
            request.header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.noBody());
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }
}
