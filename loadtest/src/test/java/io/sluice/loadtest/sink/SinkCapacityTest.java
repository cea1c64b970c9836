package io.sluice.loadtest.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.loadtest.load.LoadGenerator;
import io.sluice.loadtest.load.LoadPlan;
import io.sluice.loadtest.load.LoadResult;
import io.sluice.loadtest.load.Schedule;
import io.sluice.loadtest.load.Second;
import io.sluice.loadtest.load.SizeDistribution;
import io.sluice.loadtest.load.Stage;
import io.sluice.loadtest.load.StageLatency;
import io.sluice.testing.TestPorts;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

/**
 * The sink with a capacity model over real sockets: a burst queues, the queue shows as the latency of the reply to
 * the final dot, the accepted rate is the capacity, and what waits is bounded by the connections held.
 */
class SinkCapacityTest {

    /**
     * Tolerance on the accepted rate the sink reports for a plateau of about 2-3 s: messages over the span from the
     * first (or the plateau's start) to the last acceptance in it. The model's turns are exact (one per 1/rate), so
     * the count is right within one message; what moves the figure is when the last reply actually leaves (an event
     * loop on a busy 2-core machine may run a timer tens of milliseconds late) and, at a plateau's start, whether
     * the clients kept the sink busy from its first millisecond. 100 ms of drift over 2 s is 5%; 7.5% leaves room for
     * a loaded machine while a wrong rate (a missed step: 4x; a doubled turn: 2x) cannot pass.
     */
    private static final double RATE_TOLERANCE = 0.075;

    private static SinkServer start(ServiceModel service) throws IOException {
        return SinkServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), TestPorts.freeOnLoopback()),
                "sink.test", 1, FaultPlan.NONE, service);
    }

    private static LoadResult load(SinkServer server, LoadPlan plan, List<Second> seconds)
            throws InterruptedException {
        return new LoadGenerator(plan.withMessages(1, 1, SizeDistribution.fixed(500))
                .withBounds(10_000, Duration.ofSeconds(20), Duration.ofSeconds(20)), Optional.empty(), seconds::add)
                .run();
    }

    /** A short load against a sink without a limit first, unmeasured, so that the generator's code is compiled. */
    private static void warmUp(Function<InetSocketAddress, LoadPlan> plan) throws Exception {
        try (SinkServer warm = start(ServiceModel.unlimited())) {
            load(warm, plan.apply(warm.localAddress()), new ArrayList<>());
        }
    }

    private static StageLatency dot(LoadResult result) {
        return result.latency().stream().filter(l -> l.stage() == Stage.DOT).findFirst().orElseThrow();
    }

    @Test
    void aBurstOverTheCapacityQueuesAndIsAcceptedAtTheCapacity() throws Exception {
        List<Second> seconds = new ArrayList<>();
        LoadResult result;
        Histogram sinkLatency;
        List<Map<String, Object>> plateaus;
        warmUp(target -> LoadPlan.openLoop(target, Schedule.parse("60/s:1s")));
        try (SinkServer server = start(ServiceModel.capacity(CapacitySchedule.parse("20/s")))) {
            // 90 messages in 1.5 s against 20/s: the sink is busy for 4.5 s; message k waits about 2k/60 s. Low
            // rates, so that a busy machine still delivers the burst on time.
            result = load(server, LoadPlan.openLoop(server.localAddress(), Schedule.parse("60/s:1500ms")), seconds);
            sinkLatency = server.stats().dotLatencyByPlateau().get(0);
            plateaus = SinkReport.plateaus(server.stats(), server.service());
            assertThat(server.stats().waiting()).isZero();
            assertThat(server.stats().waitingPeak()).isBetween(30, 90);
        }

        assertThat(result.totals().admitted()).isEqualTo(90);
        assertThat(result.cut()).isZero();
        // The sink is busy from the first message to the last: they went out at its capacity.
        assertThat((double) plateaus.get(0).get("accepted_per_second")).isCloseTo(20, org.assertj.core.data.Percentage
                .withPercentage(RATE_TOLERANCE * 100));
        // The queue grows while the burst lasts: each second's worst reply is later than the one before.
        assertThat(seconds.get(1).p99Millis()).isGreaterThan(seconds.get(0).p99Millis() + 500);
        assertThat(seconds.get(2).p99Millis()).isGreaterThan(seconds.get(1).p99Millis() + 500);
        assertThat(dot(result).p50()).isGreaterThan(1_000);
        assertThat(dot(result).max()).isGreaterThan(2_500);
        // The sink measured the same queue: its own final-dot latency, per plateau.
        assertThat(sinkLatency.getTotalCount()).isEqualTo(90);
        assertThat(sinkLatency.getMaxValue() / 1000.0).isGreaterThan(2_500);
    }

    @Test
    void theCapacityStepsDownDuringARun() throws Exception {
        List<Map<String, Object>> plateaus;
        List<Histogram> latency;
        warmUp(target -> LoadPlan.closedLoop(target, 10, Duration.ofSeconds(1)));
        try (SinkServer server = start(ServiceModel.capacity(CapacitySchedule.parse("40/s,10/s@2s")))) {
            // 10 sessions open at all times keep the sink busy at either rate.
            load(server, LoadPlan.closedLoop(server.localAddress(), 10, Duration.ofSeconds(4)), new ArrayList<>());
            plateaus = SinkReport.plateaus(server.stats(), server.service());
            latency = server.stats().dotLatencyByPlateau();
        }

        assertThat(plateaus).extracting(p -> p.get("plateau")).containsExactly("40/s from 0s", "10/s from 2s");
        assertThat((double) plateaus.get(0).get("accepted_per_second")).isCloseTo(40, org.assertj.core.data.Percentage
                .withPercentage(RATE_TOLERANCE * 100));
        assertThat((double) plateaus.get(1).get("accepted_per_second")).isCloseTo(10, org.assertj.core.data.Percentage
                .withPercentage(RATE_TOLERANCE * 100));
        // 10 waiting at 10/s is a 1 s queue; at 40/s it was 250 ms.
        assertThat(latency.get(1).getValueAtPercentile(50) / 1000.0).isGreaterThan(600);
        assertThat(latency.get(0).getValueAtPercentile(50) / 1000.0).isLessThan(450);
    }

    @Test
    void finalDotsWaitingAreBoundedByTheConnectionsHeld() throws Exception {
        int connections = 30;
        String transaction = "MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n"
                + "Subject: t\r\n\r\nbody\r\n.\r\n";
        try (SinkServer server = start(ServiceModel.capacity(CapacitySchedule.parse("20/s")))) {
            List<Socket> sockets = new ArrayList<>();
            try {
                for (int i = 0; i < connections; i++) {
                    Socket socket = new Socket(server.localAddress().getAddress(), server.localAddress().getPort());
                    socket.setSoTimeout(20_000);
                    sockets.add(socket);
                }
                // All connected first, then the mail in a quick round: every connection's first message queues
                // before the sink's first turn after the very first message (50 ms).
                for (Socket socket : sockets) {
                    // Two messages pipelined in one write: the sink must not queue more than one of them.
                    socket.getOutputStream().write(("EHLO c\r\n" + transaction.repeat(2) + "QUIT\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
                }
                // Every connection has a final dot waiting at once (the peak is counted, not polled), and no more.
                await().atMost(Duration.ofSeconds(10)).until(() -> server.stats().waitingPeak() == connections);
                // Clients that give up take their waiting dot with them.
                for (int i = 0; i < 10; i++) {
                    sockets.get(i).close();
                }
                await().atMost(Duration.ofSeconds(10)).until(() -> server.stats().waiting() <= connections - 10);
                for (Socket socket : sockets.subList(10, connections)) {
                    assertThat(readAll(socket)).contains("250 2.0.0 Ok: queued as").endsWith("221 2.0.0 Bye\r\n");
                }
            } finally {
                for (Socket socket : sockets) {
                    socket.close();
                }
            }
            assertThat(server.stats().waitingPeak()).isEqualTo(connections);
            assertThat(server.stats().waiting()).isZero();
            // The 20 that stayed got both messages accepted; the 10 that left, none after they left.
            assertThat(server.stats().messages()).isBetween(40L, 40L + 10 * 2);
        }
    }

    private static String readAll(Socket socket) throws IOException {
        InputStream in = socket.getInputStream();
        ByteArrayOutputStream replies = new ByteArrayOutputStream();
        in.transferTo(replies);
        String text = replies.toString(StandardCharsets.US_ASCII);
        assertThat(text.split("Ok: queued as", -1)).hasSize(3);
        return text;
    }
}
