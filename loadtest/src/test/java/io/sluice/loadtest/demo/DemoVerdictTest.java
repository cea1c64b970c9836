package io.sluice.loadtest.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.sluice.loadtest.check.CheckSummary;
import io.sluice.loadtest.load.Counts;
import io.sluice.loadtest.load.LoadPlan;
import io.sluice.loadtest.load.LoadResult;
import io.sluice.loadtest.load.Schedule;
import io.sluice.loadtest.load.Second;
import io.sluice.loadtest.load.StageLatency;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DemoVerdictTest {

    private static final Schedule SCHEDULE = Schedule.parse("100/s:2s,500/s:4s,100/s:1s");

    /** A run whose backend gets {@code backendInBurst} per second while the schedule is at its peak. */
    private static LoadResult result(long backendInBurst, boolean clean) {
        List<Second> seconds = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            double rate = SCHEDULE.rateAt(i * 1_000_000_000L);
            long backend = rate == 500 ? backendInBurst : 50;
            Counts delta = new Counts((long) rate, (long) rate, (long) rate, backend, (long) rate - backend, 0, 0);
            seconds.add(new Second(i + 1, 1.0, delta, delta, backend, 1, 2, rate));
        }
        LoadPlan plan = LoadPlan.openLoop(new InetSocketAddress("127.0.0.1", 2525), SCHEDULE);
        return new LoadResult("r", plan, Instant.EPOCH, Duration.ofSeconds(7), Counts.ZERO, seconds, List.of(),
                new StageLatency(null, 0, 0, 0, 0, 0, 0), Map.of(), Map.of(), Optional.of(0L),
                Optional.of(new CheckSummary(1, 1, clean ? 0 : 1, 0, 0, 0)), 0);
    }

    @Test
    void measuresThePeakSecondsButTheFirst() {
        DemoVerdict verdict = DemoVerdict.of(result(50, true), 50);

        assertThat(verdict.burstSeconds()).isEqualTo(3);
        assertThat(verdict.offeredRate()).isEqualTo(500);
        assertThat(verdict.backendRate()).isEqualTo(50);
        assertThat(verdict.ratio()).isCloseTo(1, within(1e-9));
        assertThat(verdict.overload()).isCloseTo(10, within(1e-9));
        assertThat(verdict.passed()).isTrue();
        assertThat(verdict.table()).contains("burst (3 s)", "within 2%: yes", "demo: PASSED");
    }

    @Test
    void failsOverTheTolerance() {
        DemoVerdict verdict = DemoVerdict.of(result(52, true), 50);

        assertThat(verdict.withinTolerance()).isFalse();
        assertThat(verdict.passed()).isFalse();
        assertThat(verdict.table()).contains("1.040 x the limit (within 2%: NO)", "demo: FAILED");
    }

    @Test
    void failsOnLoss() {
        assertThat(DemoVerdict.of(result(50, false), 50).passed()).isFalse();
    }

    @Test
    void failsWhenTheBurstDoesNotOfferTenTimesTheLimit() {
        assertThat(DemoVerdict.of(result(100, true), 100).passed()).isFalse();
    }

    @Test
    void configuresTheEmbeddedDefaultWithTheLimit() {
        String yaml = new DemoConfig(2000, 2001, 2002, 2003, 50).yaml();

        assertThat(yaml).contains("bind: \"127.0.0.1:2000\"", "servers: [\"127.0.0.1:2001\"]", "mode: embedded",
                "bind: \"127.0.0.1:2002\"", "rate: 50/1s, burst: 50", "bind: \"127.0.0.1:2003\"",
                "announce: 0s");
    }
}
