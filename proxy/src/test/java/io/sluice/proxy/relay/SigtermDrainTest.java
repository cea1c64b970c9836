package io.sluice.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.proxy.peers.SmtpSinkProcess;
import io.sluice.testing.TestPorts;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real thing: Sluice as its own process under a steady load, SIGTERM in the middle. Nobody is refused or
 * reset before the announce period ends, nothing acknowledged is lost, and the process exits 0 in time.
 */
class SigtermDrainTest {

    private static final Duration ANNOUNCE = Duration.ofSeconds(2);
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final Duration EXIT_BUDGET = ANNOUNCE.plus(TIMEOUT).plusSeconds(2);
    private static final int CLIENTS = 4;
    private static final int LOAD_BEFORE_SIGTERM = 20;
    // Bounds the load's run up to SIGTERM: only a load that cannot run at all takes this long.
    private static final Duration LOAD_BOUND = Duration.ofSeconds(60);

    /** How one client session ended, {@code nanos} after the start of the load. */
    private record Session(String id, long startedNanos, String outcome) {}

    @Test
    void sigtermUnderLoadDrainsWithoutLossAndExitsZero(@TempDir Path dir) throws Exception {
        try (SmtpSinkProcess sink = SmtpSinkProcess.start()) {
            SluiceProcess sluice = SluiceProcess.relayingTo(dir, sink.port(), ANNOUNCE, TIMEOUT);
            int port = sluice.port();
            try {
                List<Session> sessions = Collections.synchronizedList(new ArrayList<>());
                long start = System.nanoTime();
                AtomicLong sigterm = new AtomicLong();
                AtomicInteger ids = new AtomicInteger();
                List<Thread> clients = new ArrayList<>();
                for (int i = 0; i < CLIENTS; i++) {
                    Thread client = new Thread(() -> {
                        // Until the listener is gone, a bounded time after SIGTERM.
                        while (sigterm.get() == 0 ? System.nanoTime() - start < LOAD_BOUND.toNanos()
                                : System.nanoTime() - start - sigterm.get() < Duration.ofSeconds(30).toNanos()) {
                            Session session = session(port, "drain-" + ids.incrementAndGet(), start);
                            sessions.add(session);
                            if (session.outcome().startsWith("refused") && sigterm.get() != 0) {
                                return;
                            }
                        }
                    });
                    client.start();
                    clients.add(client);
                }
                // SIGTERM once the load runs: after as many acknowledged messages as a quiet machine gets in about a
                // second, however long a busy one takes for them.
                await("messages acknowledged before SIGTERM").atMost(LOAD_BOUND).until(() -> acknowledged(sessions)
                        .size() >= LOAD_BEFORE_SIGTERM);
                sigterm.set(System.nanoTime() - start);
                sluice.terminate();
                boolean exited = sluice.awaitExit(EXIT_BUDGET.plusSeconds(1));
                long exitNanos = System.nanoTime() - start - sigterm.get();
                for (Thread client : clients) {
                    client.join(30_000);
                }

                assertThat(exited).as("exited; log:\n%s", sluice.log()).isTrue();
                assertThat(sluice.exitValue()).isZero();
                assertThat(Duration.ofNanos(exitNanos)).isLessThanOrEqualTo(EXIT_BUDGET);
                long announceEnds = sigterm.get() + ANNOUNCE.toNanos() - Duration.ofMillis(100).toNanos();
                assertThat(sessions).filteredOn(s -> s.startedNanos() < announceEnds)
                        .as("sessions before the announce ended").allMatch(s -> s.outcome().equals("acknowledged")
                                || s.outcome().startsWith("tempfailed"));
                Set<String> acknowledged = acknowledged(sessions);
                Set<String> received = new HashSet<>();
                sink.awaitMessages(acknowledged.size(), Duration.ofSeconds(30))
                        .forEach(message -> received.addAll(message.headers("Subject")));
                Set<String> inWindow = new HashSet<>(received);
                inWindow.removeAll(acknowledged);
                System.out.printf("SIGTERM after %d sessions: %d acknowledged, %d received, %d in the RFC 1047 window,"
                                + " exit after %d ms%n", sessions.size(), acknowledged.size(), received.size(),
                        inWindow.size(), exitNanos / 1_000_000);
                assertThat(received).as("every acknowledged message at the sink").containsAll(acknowledged);
                assertThat(inWindow).as("received but never acknowledged").isEmpty();
                assertThat(acknowledged).as("the load ran").hasSizeGreaterThanOrEqualTo(LOAD_BEFORE_SIGTERM);
                // Log lines leave through an asynchronous appender: the exit writes out every one it still held.
                String log = sluice.log();
                assertThat(log).as("the last line, written before the exit").contains("\"message\":\"stopped\"");
                assertThat(log.lines().filter(line -> line.contains("\"message\":\"transaction\"")
                        && line.contains("\"outcome\":\"delivered\""))).as("a transaction line per message acknowledged")
                        .hasSize(acknowledged.size());
            } finally {
                sluice.close();
            }
        }
    }

    @Test
    void sigintDrainsAsWell(@TempDir Path dir) throws Exception {
        try (SmtpSinkProcess sink = SmtpSinkProcess.start()) {
            SluiceProcess sluice = SluiceProcess.relayingTo(dir, sink.port(), Duration.ofSeconds(1), TIMEOUT);
            try (RawSmtpClient idle = new RawSmtpClient(sluice.port())) {
                assertThat(idle.reply()).startsWith("220 ");
                // Started as sluice run starts: cluster callbacks on a pool, not on a thread each (HazelcastCallbacks).
                assertThat(sluice.log()).containsPattern("\"callback_threads\":([2-9]|\\d\\d)")
                        .doesNotContain("starts a thread of its own");

                new ProcessBuilder("kill", "-INT", Long.toString(sluice.pid())).start().waitFor();

                assertThat(idle.reply()).isEqualTo("421 4.3.2 Service shutting down, try again later");
                assertThat(sluice.awaitExit(EXIT_BUDGET)).isTrue();
                assertThat(sluice.exitValue()).isZero();
            } finally {
                sluice.close();
            }
        }
    }

    @Test
    void aSignalWhileTheNodeStartsDrainsOnceItIsUp(@TempDir Path dir) throws Exception {
        try (SmtpSinkProcess sink = SmtpSinkProcess.start()) {
            int port = TestPorts.freeOnLoopback();
            SluiceProcess sluice = SluiceProcess.launch(dir, "sluice",
                    SluiceProcess.relayConfig(port, sink.port(), Duration.ofSeconds(1), TIMEOUT), port, Map.of());
            try {
                // Its first line comes before the cluster's join and the listeners: the start is under way.
                await("the start under way").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(5))
                        .until(() -> sluice.log().contains("\"message\":\"starting"));

                sluice.terminate();

                assertThat(sluice.awaitExit(Duration.ofSeconds(60))).as("exited; log:\n%s", sluice.log()).isTrue();
                assertThat(sluice.exitValue()).as("a drain's exit, not the JVM's own on SIGTERM (143); log:\n%s",
                        sluice.log()).isZero();
                assertThat(sluice.log()).contains("signal received; draining").contains("\"message\":\"stopped\"");
            } finally {
                sluice.close();
            }
        }
    }

    private static Set<String> acknowledged(List<Session> sessions) {
        synchronized (sessions) {
            Set<String> acknowledged = new HashSet<>();
            sessions.stream().filter(s -> s.outcome().equals("acknowledged")).forEach(s -> acknowledged.add(s.id()));
            return acknowledged;
        }
    }

    /** One message in one session; the outcome is acknowledged, tempfailed (a 4xx), refused or an error. */
    private static Session session(int port, String id, long start) {
        long started = System.nanoTime() - start;
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            socket.setSoTimeout(10_000);
            InputStream in = new BufferedInputStream(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            for (String[] step : new String[][] {{null, "220"}, {"EHLO drain.example", "250"},
                    {"MAIL FROM:<a@example.org>", "250"}, {"RCPT TO:<b@example.net>", "250"}, {"DATA", "354"},
                    {"Subject: " + id + "\r\n\r\nhello\r\n.", "250"}}) {
                if (step[0] != null) {
                    out.write((step[0] + "\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                }
                String reply = BurstDriver.reply(in);
                if (reply.startsWith("4")) {
                    return new Session(id, started, "tempfailed: " + reply);
                }
                if (!reply.startsWith(step[1])) {
                    return new Session(id, started, "error: " + reply);
                }
            }
            return new Session(id, started, "acknowledged");
        } catch (ConnectException e) {
            return new Session(id, started, "refused");
        } catch (IOException e) {
            return new Session(id, started, "error: " + e);
        }
    }
}
