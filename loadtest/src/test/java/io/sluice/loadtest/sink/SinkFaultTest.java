package io.sluice.loadtest.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.loadtest.load.LoadGenerator;
import io.sluice.loadtest.load.LoadPlan;
import io.sluice.loadtest.load.LoadResult;
import io.sluice.loadtest.load.Schedule;
import io.sluice.loadtest.load.SizeDistribution;
import io.sluice.loadtest.load.Stage;
import io.sluice.loadtest.load.StageLatency;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Every fault the sink injects, seen from the client's side: the generator's counts. */
class SinkFaultTest {

    private static LoadResult runAgainst(FaultPlan faults, String schedule, SizeDistribution sizes)
            throws IOException, InterruptedException {
        try (SinkServer server = SinkServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                "sink.test", 1, faults)) {
            LoadPlan plan = LoadPlan.openLoop(server.localAddress(), Schedule.parse(schedule))
                    .withMessages(1, 1, sizes)
                    .withBounds(1000, Duration.ofSeconds(20), Duration.ofSeconds(20));
            LoadResult result = new LoadGenerator(plan, Optional.empty(), s -> { }).run();
            assertThat(result.cut()).isZero();
            return result;
        }
    }

    private static LoadResult runAgainst(String... faults) throws IOException, InterruptedException {
        return runAgainst(new FaultPlan(java.util.Arrays.stream(faults).map(Fault::parse).toList(), 0), "20/s:1s",
                SizeDistribution.fixed(500));
    }

    private static StageLatency latency(LoadResult result, Stage stage) {
        return result.latency().stream().filter(l -> l.stage() == stage).findFirst().orElseThrow();
    }

    @Test
    void replacesTheReplyToTheFinalDot() throws Exception {
        LoadResult result = runAgainst("dot:451");

        assertThat(result.replies()).containsEntry("dot 451", 20L).doesNotContainKey("dot 250");
        assertThat(result.examples().get("dot 451")).isEqualTo("451 4.3.0 Fault injected at dot");
        assertThat(result.totals().tempfailed()).isEqualTo(20);
    }

    @Test
    void strikesEveryNthTime() throws Exception {
        LoadResult result = runAgainst("mail:550:every=4");

        assertThat(result.replies()).containsEntry("mail 550", 5L).containsEntry("dot 250", 15L);
        assertThat(result.totals().rejected()).isEqualTo(5);
        assertThat(result.totals().admitted()).isEqualTo(15);
    }

    @Test
    void refusesAtConnect() throws Exception {
        LoadResult result = runAgainst("connect:421");

        assertThat(result.replies()).containsEntry("connect 421", 20L).doesNotContainKey("ehlo 250");
    }

    @Test
    void disconnectsBeforeTheFinalReply() throws Exception {
        LoadResult result = runAgainst("dot:disconnect");

        assertThat(result.replies()).containsEntry("dot closed", 20L);
        assertThat(result.totals().errors()).isEqualTo(20);
        assertThat(result.totals().admitted()).isZero();
    }

    @Test
    void delaysReplies() throws Exception {
        LoadResult result = runAgainst("rcpt:delay=300ms", "ehlo:delay=100ms");

        assertThat(result.totals().admitted()).isEqualTo(20);
        assertThat(latency(result, Stage.RCPT).p50()).isGreaterThanOrEqualTo(300);
        assertThat(latency(result, Stage.EHLO).p50()).isGreaterThanOrEqualTo(100);
        assertThat(latency(result, Stage.MAIL).p50()).isLessThan(100);
    }

    @Test
    void readsSlowly() throws Exception {
        // 256 kB/s against 600 kB messages: the content takes over a second to go through, socket buffers aside.
        LoadResult result = runAgainst(new FaultPlan(List.of(), 256_000), "1/s:2s", SizeDistribution.fixed(600_000));

        assertThat(result.totals().admitted()).isEqualTo(2);
        assertThat(latency(result, Stage.DOT).p50()).isGreaterThanOrEqualTo(1000);
    }

    @Test
    void parsesAndRejectsFaultSpecs() {
        assertThat(Fault.parse("dot:disconnect:every=10").toString()).isEqualTo("dot:disconnect:every=10");
        assertThat(Fault.parse("RCPT:delay=200ms").toString()).isEqualTo("rcpt:delay=200ms");
        assertThat(Fault.parse("mail:452").reply().toString()).isEqualTo("452 4.3.0 Fault injected at mail");
        assertThatThrownBy(() -> Fault.parse("helo:451")).hasMessageContaining("(expected: STAGE:ACTION");
        assertThatThrownBy(() -> Fault.parse("dot:250")).hasMessageContaining("(expected: STAGE:ACTION");
        assertThatThrownBy(() -> new FaultPlan(List.of(Fault.parse("dot:451"), Fault.parse("dot:disconnect")), 0))
                .hasMessage("fault: two at dot (expected: at most one per stage)");
    }
}
