package io.sluice.loadtest.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class ScheduleTest {

    private static final long SECOND = 1_000_000_000L;

    @Test
    void stepsAddUp() {
        Schedule schedule = Schedule.parse("200/s:10s,2000/s:30s,200/s:10s");

        assertThat(schedule.duration()).isEqualTo(Duration.ofSeconds(50));
        assertThat(schedule.totalArrivals()).isEqualTo(2_000 + 60_000 + 2_000);
        assertThat(schedule.arrivalsBy(11 * SECOND)).isCloseTo(2_000 + 2_000, within(1e-6));
        assertThat(schedule.rateAt(10 * SECOND)).isEqualTo(2000);
        assertThat(schedule.rateAt(50 * SECOND)).isZero();
        assertThat(schedule.peakRate()).isEqualTo(2000);
    }

    @Test
    void aRampRisesLinearly() {
        Schedule schedule = Schedule.parse("0/s..100/s:10s");

        assertThat(schedule.totalArrivals()).isEqualTo(500);
        assertThat(schedule.arrivalsBy(5 * SECOND)).isCloseTo(125, within(1e-6));
        assertThat(schedule.rateAt(5 * SECOND)).isCloseTo(50, within(1e-9));
    }

    @Test
    void acceptsFractionsAndMilliseconds() {
        Schedule schedule = Schedule.parse("0.5/s:4s, 10/s:500ms");

        assertThat(schedule.totalArrivals()).isEqualTo(2 + 5);
        assertThat(schedule.toString()).isEqualTo("0.5/s:4s,10/s:500ms");
    }

    @Test
    void saysWhatIsWrong() {
        assertThatThrownBy(() -> Schedule.parse("200:10s")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("\"200:10s\" (expected: RATE/s:DURATION or RATE/s..RATE/s:DURATION, e.g. 200/s:10s)");
        assertThatThrownBy(() -> Schedule.parse("200/s:10")).hasMessageContaining("a duration with a unit");
        assertThatThrownBy(() -> Schedule.parse("200/s:0s")).hasMessageContaining("a duration > 0");
        assertThatThrownBy(() -> Schedule.parse("200/s:1s,")).hasMessageStartingWith("\"\" (expected:");
    }

    @Property
    void formattingRoundTrips(@ForAll("schedules") Schedule schedule) {
        assertThat(Schedule.parse(schedule.toString())).isEqualTo(schedule);
    }

    @Property
    void arrivalsNeverDecreaseAndEndAtTheTotal(@ForAll("schedules") Schedule schedule) {
        long end = schedule.duration().toNanos();
        double previous = 0;
        for (int step = 0; step <= 100; step++) {
            double now = schedule.arrivalsBy(end * step / 100);
            assertThat(now).isGreaterThanOrEqualTo(previous - 1e-9);
            previous = now;
        }
        double area = 0;
        for (Schedule.Phase phase : schedule.phases()) {
            area += (phase.fromRate() + phase.toRate()) / 2 * phase.duration().toNanos() / 1e9;
        }
        assertThat(schedule.arrivalsBy(end)).isCloseTo(area, within(1e-6 * Math.max(1, area)));
        assertThat(schedule.arrivalsBy(end + SECOND)).isCloseTo(area, within(1e-6 * Math.max(1, area)));
    }

    @Provide
    Arbitrary<Schedule> schedules() {
        Arbitrary<Double> rates = Arbitraries.integers().between(0, 5_000_000).map(milli -> milli / 1000.0);
        Arbitrary<Duration> durations = Arbitraries.longs().between(1, 600_000).map(Duration::ofMillis);
        Arbitrary<Schedule.Phase> phases = Combinators.combine(rates, rates, Arbitraries.of(true, false), durations)
                .as((from, to, ramp, duration) -> new Schedule.Phase(from, ramp ? to : from, duration));
        return phases.list().ofMinSize(1).ofMaxSize(5).map((List<Schedule.Phase> list) -> new Schedule(list));
    }
}
