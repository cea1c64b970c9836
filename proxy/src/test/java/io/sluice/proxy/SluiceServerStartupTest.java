package io.sluice.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.sluice.config.ConfigLoader;
import io.sluice.config.SluiceConfig;
import io.sluice.policy.cluster.LimitStore;
import io.sluice.testing.TestPorts;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The cluster's join runs beside the rest of a start; readiness still waits for it. A join held back by the test
 * stands for a slow one (a member list that answers late, a loaded machine).
 */
class SluiceServerStartupTest {

    @Test
    void aNodeWhoseJoinIsSlowNeitherListensNorIsReadyBeforeItHasJoined() throws Exception {
        int smtp = TestPorts.freeOnLoopback();
        int admin = TestPorts.freeOnLoopback();
        SluiceConfig config = config(smtp, TestPorts.freeOnLoopback(), admin);
        CountDownLatch joining = new CountDownLatch(1);
        CountDownLatch letJoin = new CountDownLatch(1);
        AtomicReference<Thread> starter = new AtomicReference<>();
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try {
            CompletableFuture<SluiceServer> starting = CompletableFuture.supplyAsync(() -> {
                starter.set(Thread.currentThread());
                try {
                    return SluiceServer.start(config, (cluster, registry) -> {
                        joining.countDown();
                        try {
                            letJoin.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            throw new IllegalStateException(e);
                        }
                        return LimitStore.join(cluster, registry);
                    });
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, executor);
            assertThat(joining.await(60, TimeUnit.SECONDS)).as("join begun").isTrue();
            // Everything that does not need the cluster is done once the start waits for the join.
            await().atMost(Duration.ofSeconds(60)).until(() -> waitsForTheJoin(starter.get()));

            assertThat(starting).isNotDone();
            // Not ready: no admin listener yet, or one that says 503.
            assertThat(readiness(admin)).as("readiness").isNotEqualTo(200);
            assertThatThrownBy(() -> connect(smtp)).as("SMTP listener").isInstanceOf(ConnectException.class);

            letJoin.countDown();
            try (SluiceServer server = starting.get(60, TimeUnit.SECONDS)) {
                assertThat(server.state().ready()).isTrue();
                assertThat(server.limits().node()).as("joined").isPresent();
                assertThat(readiness(admin)).isEqualTo(200);
                connect(smtp);
            }
        } finally {
            letJoin.countDown();
            executor.shutdownNow();
        }
    }

    @Test
    void aJoinThatFailsFailsTheStartAndNothingListens() throws Exception {
        int smtp = TestPorts.freeOnLoopback();
        int admin = TestPorts.freeOnLoopback();

        assertThatThrownBy(() -> SluiceServer.start(config(smtp, TestPorts.freeOnLoopback(), admin),
                (cluster, registry) -> {
                    throw new IllegalStateException("no cluster to join");
                })).hasMessage("no cluster to join");

        assertThatThrownBy(() -> connect(smtp)).as("SMTP listener").isInstanceOf(ConnectException.class);
        assertThat(readiness(admin)).as("admin listener").isZero();
    }

    @Test
    void aStartThatFailsAfterTheJoinLeavesTheClusterBeforeItThrows() throws Exception {
        int member = TestPorts.freeOnLoopback();
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("127.0.0.1", 0));
            SluiceConfig config = config(TestPorts.freeOnLoopback(), member, taken.getLocalPort());

            assertThatThrownBy(() -> SluiceServer.start(config)).as("the admin port is taken")
                    .hasStackTraceContaining("already in use");
        }

        try (ServerSocket free = new ServerSocket()) {
            free.bind(new InetSocketAddress("127.0.0.1", member));
            assertThat(free.isBound()).as("the member's port, given up").isTrue();
        }
    }

    /** A node with one inbound listener, an embedded member alone and an admin listener, on the given ports. */
    private static SluiceConfig config(int smtp, int member, int admin) throws Exception {
        return ConfigLoader.parse("""
                smtp:
                  hostname: mx.sluice.test
                listeners:
                  - name: mx
                    role: inbound
                    bind: "127.0.0.1:%d"
                    backend-pool: mta
                backends:
                  mta:
                    servers: ["127.0.0.1:%d"]
                cluster:
                  mode: embedded
                  bind: "127.0.0.1:%d"
                  discovery: none
                admin:
                  bind: "127.0.0.1:%d"
                """.formatted(smtp, TestPorts.freeOnLoopback(), member, admin), "startup-test.yaml");
    }

    /** Whether the starting thread is parked in the wait for the join (and not merely somewhere before it). */
    private static boolean waitsForTheJoin(Thread thread) {
        return thread != null && thread.getState() == Thread.State.WAITING
                && Arrays.stream(thread.getStackTrace()).anyMatch(frame ->
                frame.getClassName().equals(SluiceServer.class.getName() + "$Joining")
                        && frame.getMethodName().equals("joined"));
    }

    /** The status of {@code /healthz/ready}, or 0 when nothing listens. */
    private static int readiness(int admin) throws IOException, InterruptedException {
        try {
            return HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin + "/healthz/ready")).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (ConnectException e) {
            return 0;
        }
    }

    private static void connect(int port) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        }
    }
}
