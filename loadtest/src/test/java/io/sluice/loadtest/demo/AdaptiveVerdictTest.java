package io.sluice.loadtest.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.sluice.config.ConfigLoader;
import io.sluice.config.SluiceConfig;
import io.sluice.loadtest.check.CheckSummary;
import io.sluice.loadtest.demo.AdaptiveScenario.Run;
import io.sluice.loadtest.demo.AdaptiveScenario.Sample;
import io.sluice.loadtest.demo.AdaptiveScenario.Settings;
import io.sluice.loadtest.demo.DemoConfig.Admission;
import io.sluice.loadtest.load.Counts;
import io.sluice.loadtest.load.LoadPlan;
import io.sluice.loadtest.load.LoadResult;
import io.sluice.loadtest.load.RetrySchedule;
import io.sluice.loadtest.load.StageLatency;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdaptiveVerdictTest {

    /** 60 -> 20 -> 60 messages/s, plateaus of 10 s from 12 s on, the latency target from 5 s into each. */
    private static final Settings SETTINGS = new Settings(60, 20, 10, 3, Duration.ofMillis(200), 8, 4, 5,
            RetrySchedule.parse("5m,10m", 120));

    /**
     * A run sampled every second for 42 s: the calibration's p99 is 200 ms; in the plateaus the backend accepts
     * {@code share} of the capacity with a p99 of {@code lowP99} ms in the low plateau's settled seconds (and 300 ms
     * in its first seconds, which do not count), 250 ms elsewhere.
     */
    private static Run run(Admission admission, double share, double lowP99, boolean clean) {
        List<Sample> samples = new ArrayList<>();
        for (int at = 1; at <= SETTINGS.end(); at++) {
            double capacity = at > SETTINGS.plateauStart(1) && at <= SETTINGS.plateauStart(2) ? 20 : 60;
            boolean calibrating = at <= SETTINGS.calibrationSeconds();
            boolean lowSettled = at > SETTINGS.plateauStart(1) + SETTINGS.settleSeconds()
                    && at <= SETTINGS.plateauStart(2);
            double p99 = calibrating ? 200 : lowSettled ? lowP99 : capacity == 20 ? 300 : 250;
            long accepted = calibrating ? 7 : Math.round(capacity * share);
            samples.add(new Sample(at, capacity, accepted, p99,
                    admission == Admission.ADAPTIVE ? OptionalDouble.of(capacity / 5) : OptionalDouble.empty(),
                    OptionalDouble.of(3)));
        }
        LoadPlan plan = LoadPlan.openLoop(new InetSocketAddress("127.0.0.1", 2525), SETTINGS.load());
        LoadResult load = new LoadResult("r", plan, Instant.EPOCH, Duration.ofSeconds(42), Counts.ZERO, List.of(),
                List.of(), new StageLatency(null, 0, 0, 0, 0, 0, 0), Map.of(), Map.of(), Optional.of(0L),
                Optional.of(new CheckSummary(1, 1, clean ? 0 : 1, 0, 0, 0)), 0);
        return new Run(admission, samples, load);
    }

    @Test
    void figuresEachPlateauFromItsSecondsAndTheLatencyFromTheSettledOnes() {
        AdaptiveVerdict verdict = AdaptiveVerdict.of(SETTINGS, List.of(run(Admission.ADAPTIVE, 0.95, 380, true),
                run(Admission.STATIC, 1.0, 5000, true)));

        AdaptiveVerdict.RunFigures adaptive = verdict.runs().get(0);
        assertThat(adaptive.unloadedP99Millis()).isEqualTo(200);
        assertThat(adaptive.plateaus()).extracting(AdaptiveVerdict.PlateauFigures::capacity)
                .containsExactly(60, 20, 60);
        assertThat(adaptive.plateaus().get(0).acceptedShare()).isCloseTo(57.0 / 60, within(1e-9));
        assertThat(adaptive.plateaus().get(1).worstP99Millis()).isEqualTo(380);
        assertThat(adaptive.plateaus().get(1).latencyGrowth()).isCloseTo(1.9, within(1e-9));
        assertThat(adaptive.plateaus().get(1).limit().format()).isEqualTo("4.0");
        assertThat(verdict.runs().get(1).plateaus().get(1).limit().format()).isEqualTo("-");
        assertThat(verdict.passed()).isTrue();
        assertThat(verdict.table()).contains("low (20/s)", "95%", "demo: PASSED");
    }

    @Test
    void failsWhereTheAdaptiveLatencyIsNotUnderHalfTheStaticOnes() {
        AdaptiveVerdict verdict = AdaptiveVerdict.of(SETTINGS, List.of(run(Admission.ADAPTIVE, 1, 2600, true),
                run(Admission.STATIC, 1, 5000, true)));

        assertThat(verdict.passed()).isFalse();
        assertThat(verdict.lines()).last().isEqualTo("demo: FAILED");
    }

    @Test
    void failsOnALostMessageInEitherRun() {
        assertThat(AdaptiveVerdict.of(SETTINGS, List.of(run(Admission.ADAPTIVE, 1, 300, true),
                run(Admission.STATIC, 1, 5000, false))).passed()).isFalse();
    }

    @Test
    void writesThePageTheChartsAndTheFigures(@TempDir Path dir) throws Exception {
        AdaptiveVerdict verdict = AdaptiveVerdict.of(SETTINGS, List.of(run(Admission.ADAPTIVE, 1, 300, true),
                run(Admission.STATIC, 1, 5000, true)));

        Path page = verdict.write(dir);

        assertThat(Files.readString(page)).contains("Per plateau", "high again (60/s)", "demo: PASSED");
        assertThat(Files.readString(dir.resolve("scenario.json"))).contains("\"passed\" : true",
                "\"worst_p99_ms\" : 5000.0");
    }

    @Test
    void theScheduleStepsTheCapacityAndTheLoadStartsTheOverloadInTheRamp() {
        assertThat(SETTINGS.capacity()).hasToString("60/s,20/s@22s,60/s@32s");
        assertThat(SETTINGS.load().duration()).isEqualTo(Duration.ofSeconds(42));
        assertThat(SETTINGS.load().rateAt(9_000_000_000L)).isCloseTo(20 / 3.0, within(0.01));
        assertThat(SETTINGS.load().rateAt(11_000_000_000L)).isEqualTo(180);
        assertThatThrownBy(() -> new Settings(20, 20, 10, 3, Duration.ofMillis(200), 8, 4, 5, SETTINGS.retry()))
                .hasMessageContaining("high > low");
        assertThatThrownBy(() -> new Settings(60, 20, 5, 3, Duration.ofMillis(200), 8, 4, 5, SETTINGS.retry()))
                .hasMessageContaining("--plateau 5");
    }

    @Test
    void bothConfigurationsAreValidAndDifferOnlyInHowTheyAdmit() throws Exception {
        DemoConfig config = new DemoConfig(2000, 2001, 2002, 2003, 60);

        SluiceConfig adaptive = ConfigLoader.parse(config.yaml(Admission.ADAPTIVE), "adaptive.yaml");
        SluiceConfig fixed = ConfigLoader.parse(config.yaml(Admission.STATIC), "static.yaml");

        assertThat(config.yaml(Admission.ADAPTIVE)).contains("admission: { mode: adaptive");
        assertThat(adaptive.policy().limits()).isEmpty();
        assertThat(fixed.policy().limits()).singleElement().satisfies(rule -> {
            assertThat(rule.rate().toString()).contains("60");
            assertThat(rule.burst()).isEqualTo(60);
        });
    }

    @Test
    void readsThePoolsGaugesFromTheMetricsPage() {
        String page = """
                # HELP sluice_admission_limit_min the pool's min-inflight
                # TYPE sluice_admission_limit_min gauge
                sluice_admission_limit_min{pool="sink",} 4.0
                sluice_admission_limit{pool="other",} 99.0
                sluice_admission_limit{pool="sink",} 12.0
                sluice_admission_inflight{pool="sink",} 7.0
                """;

        AdmissionGauges.Reading reading = AdmissionGauges.parse(page, "sink");

        assertThat(reading.limit()).hasValue(12.0);
        assertThat(reading.inflight()).hasValue(7.0);
        assertThat(AdmissionGauges.parse(page, "absent")).isEqualTo(AdmissionGauges.Reading.NONE);
    }
}
