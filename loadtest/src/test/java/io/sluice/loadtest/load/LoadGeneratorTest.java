package io.sluice.loadtest.load;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.loadtest.check.CheckSummary;
import io.sluice.loadtest.sink.Sink;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The generator against real servers on loopback: what it counts is what the server saw. */
class LoadGeneratorTest {

    private Sink sink;
    private final List<Second> seconds = Collections.synchronizedList(new ArrayList<>());

    @BeforeEach
    void startSink() throws IOException {
        sink = Sink.onLoopback();
    }

    @AfterEach
    void stopSink() {
        sink.close();
    }

    private LoadResult run(LoadPlan plan) throws InterruptedException {
        return new LoadGenerator(plan, Optional.of(sink), seconds::add).run();
    }

    @Test
    void countsEveryMessageTheSinkReceives() throws InterruptedException {
        LoadPlan plan = LoadPlan.openLoop(sink.address(), Schedule.parse("50/s:2s"))
                .withMessages(2, 3, SizeDistribution.parse("100B..5KB"));

        LoadResult result = run(plan);

        Counts totals = result.totals();
        assertThat(totals.sessionsStarted()).isEqualTo(100);
        assertThat(totals.messagesOffered()).isEqualTo(200);
        assertThat(totals.admitted()).isEqualTo(200);
        assertThat(totals.refused() + totals.errors()).isZero();
        assertThat(result.backend()).contains(200L);
        assertThat(sink.received()).isEqualTo(200);
        assertThat(result.check()).contains(new CheckSummary(200, 200, 0, 0, 0, 0));
        assertThat(result.replies()).containsEntry("connect 220", 100L).containsEntry("ehlo 250", 100L)
                .containsEntry("mail 250", 200L).containsEntry("rcpt 250", 600L).containsEntry("data 354", 200L)
                .containsEntry("dot 250", 200L).containsEntry("quit 221", 100L);
        assertThat(result.latency()).extracting(StageLatency::stage)
                .containsExactly(Stage.CONNECT, Stage.EHLO, Stage.MAIL, Stage.RCPT, Stage.DATA, Stage.DOT, Stage.QUIT);
        assertThat(result.latency()).allSatisfy(l -> assertThat(l.max()).isGreaterThan(0));
        assertThat(result.transaction().count()).isEqualTo(200);
        assertThat(result.latencyTable()).last().extracting(StageLatency::label).isEqualTo("transaction");
        assertThat(result.cut()).isZero();
        assertThat(seconds).isNotEmpty();
        assertThat(seconds.stream().mapToLong(s -> s.delta().admitted()).sum()).isEqualTo(200);
        assertThat(seconds.stream().mapToLong(Second::backendReceived).sum()).isEqualTo(200);
    }

    @Test
    void bindsEachSessionToASourceAddressOfTheRange() throws InterruptedException {
        LoadPlan plan = LoadPlan.openLoop(sink.address(), Schedule.parse("40/s:1s"))
                .withAddresses(Optional.of(AddressRange.parse("127.3.4.0/30", AddressRange.Pick.ROUND_ROBIN)),
                        Optional.empty());

        LoadResult result = run(plan);

        assertThat(result.totals().admitted()).isEqualTo(40);
        assertThat(sink.messagesByPeer()).containsExactlyInAnyOrderEntriesOf(
                java.util.Map.of("127.3.4.1", 20L, "127.3.4.2", 20L));
    }

    @Test
    void idleSessionsWaitAfterEhlo() throws InterruptedException {
        LoadPlan plan = LoadPlan.openLoop(sink.address(), Schedule.parse("10/s:1s")).withIdle(Duration.ofMillis(400));

        LoadResult result = run(plan);

        assertThat(result.totals().admitted()).isEqualTo(10);
        // The MAIL of each session went out 400 ms after the EHLO reply; nothing else waited.
        assertThat(result.latency().stream().filter(l -> l.stage() == Stage.MAIL).findFirst().orElseThrow().p99())
                .isLessThan(400);
        assertThat(result.elapsed()).isGreaterThanOrEqualTo(Duration.ofMillis(1400));
    }

    @Test
    void closedLoopKeepsItsSessionsOpenUntilTheSessionBound() throws InterruptedException {
        LoadPlan plan = LoadPlan.closedLoop(sink.address(), 4, Duration.ofSeconds(20))
                .withBounds(60, Duration.ofSeconds(5), Duration.ofSeconds(5));

        LoadResult result = run(plan);

        assertThat(result.totals().sessionsStarted()).isEqualTo(60);
        assertThat(result.totals().admitted()).isEqualTo(60);
        // The session bound ended the run, long before its 20 s.
        assertThat(result.elapsed()).isLessThan(Duration.ofSeconds(15));
    }

    @Test
    void stopsStartingSessionsAtTheSessionBound() throws InterruptedException {
        LoadPlan plan = LoadPlan.openLoop(sink.address(), Schedule.parse("1000/s:1s"))
                .withBounds(25, Duration.ofSeconds(5), Duration.ofSeconds(5));

        LoadResult result = run(plan);

        assertThat(result.totals().sessionsStarted()).isEqualTo(25);
        assertThat(sink.received()).isEqualTo(25);
    }

    @Test
    void cutsSessionsStillOpenAtTheDeadline() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            ExecutorService acceptor = Executors.newSingleThreadExecutor();
            List<Socket> accepted = Collections.synchronizedList(new ArrayList<>());
            acceptor.execute(() -> {
                try {
                    while (true) {
                        accepted.add(silent.accept()); // accepts and never greets
                    }
                } catch (IOException e) {
                    // closed at the end of the test
                }
            });
            LoadPlan plan = LoadPlan.openLoop((InetSocketAddress) silent.getLocalSocketAddress(),
                    Schedule.parse("20/s:1s")).withBounds(1000, Duration.ofSeconds(1), Duration.ofMinutes(5));

            LoadResult result = new LoadGenerator(plan, Optional.empty(), s -> { }).run();

            assertThat(result.cut()).isEqualTo(20);
            assertThat(result.totals().errors()).isEqualTo(20);
            assertThat(result.totals().openSessions()).isZero();
            assertThat(result.replies()).containsEntry("connect cut", 20L);
            // Bounded: the 1 s schedule, 1 s of grace and the time to close, not the 5 min reply timeout.
            assertThat(result.elapsed()).isLessThan(Duration.ofSeconds(30));
            acceptor.shutdownNow();
            for (Socket socket : accepted) {
                socket.close();
            }
        }
    }

    @Test
    void countsReplyTimeoutsAsErrors() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            List<Socket> accepted = Collections.synchronizedList(new ArrayList<>());
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        accepted.add(silent.accept());
                    }
                } catch (IOException e) {
                    // closed at the end of the test
                }
            });
            acceptor.start();
            LoadPlan plan = LoadPlan.openLoop((InetSocketAddress) silent.getLocalSocketAddress(),
                    Schedule.parse("5/s:1s")).withBounds(1000, Duration.ofSeconds(10), Duration.ofMillis(300));

            LoadResult result = new LoadGenerator(plan, Optional.empty(), s -> { }).run();

            assertThat(result.replies()).containsEntry("connect timeout", 5L);
            assertThat(result.totals().errors()).isEqualTo(5);
            assertThat(result.cut()).isZero();
            silent.close();
            acceptor.join(5000);
            for (Socket socket : accepted) {
                socket.close();
            }
        }
    }

    @Test
    void sendsAProxyHeaderBeforeTheSession() throws Exception {
        assertThat(firstBytesWithHeader(1)).startsWith("PROXY TCP4 192.0.2.").endsWith("\r\n");
        byte[] v2Signature = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
        assertThat(firstBytesWithHeader(2).getBytes(StandardCharsets.ISO_8859_1)).startsWith(v2Signature);
    }

    /** What a server that answers 421 after reading the first bytes received from one session with a header. */
    private static String firstBytesWithHeader(int version) throws Exception {
        try (ServerSocket server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            String[] received = new String[1];
            Thread peer = new Thread(() -> {
                try (Socket socket = server.accept()) {
                    socket.setSoTimeout(10_000);
                    InputStream in = socket.getInputStream();
                    byte[] buffer = new byte[128];
                    int n = in.read(buffer);
                    received[0] = new String(buffer, 0, Math.max(0, n), StandardCharsets.ISO_8859_1);
                    OutputStream out = socket.getOutputStream();
                    out.write("421 4.3.2 Not today\r\n".getBytes(StandardCharsets.US_ASCII));
                } catch (IOException e) {
                    received[0] = e.toString();
                }
            });
            peer.start();
            LoadPlan plan = LoadPlan.openLoop((InetSocketAddress) server.getLocalSocketAddress(),
                            Schedule.parse("1/s:1s"))
                    .withAddresses(Optional.empty(), Optional.of(new LoadPlan.ProxyHeader(version,
                            AddressRange.parse("192.0.2.0/24", AddressRange.Pick.ROUND_ROBIN))));

            LoadResult result = new LoadGenerator(plan, Optional.empty(), s -> { }).run();

            peer.join(10_000);
            assertThat(result.replies()).containsEntry("connect 421", 1L);
            assertThat(result.totals().tempfailed()).isEqualTo(1);
            return received[0];
        }
    }
}
