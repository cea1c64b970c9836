package io.sluice.loadtest.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** The sink's capacity arithmetic: never faster than the capacity, never idle while messages wait. */
class ServiceModelPropertyTest {

    private static final long SECOND = 1_000_000_000L;

    /** Arrival offsets from gaps between them, from 0 up to 50 ms apart: bursts and pauses. */
    private static long[] arrivals(List<Integer> gapMicros) {
        long[] at = new long[gapMicros.size()];
        long t = 0;
        for (int i = 0; i < at.length; i++) {
            t += gapMicros.get(i) * 1000L;
            at[i] = t;
        }
        return at;
    }

    private static long[] replies(ServiceModel model, long[] arrivals) {
        model.begin(0);
        long[] replies = new long[arrivals.length];
        for (int i = 0; i < arrivals.length; i++) {
            replies[i] = model.replyAt(arrivals[i]);
        }
        return replies;
    }

    @Provide
    Arbitrary<List<Integer>> gaps() {
        return Arbitraries.integers().between(0, 50_000).list().ofMinSize(1).ofMaxSize(400);
    }

    @Property
    void aConstantCapacityNeverAnswersMoreThanItsRateInAnyWindow(
            @ForAll("gaps") List<Integer> gapMicros, @ForAll @IntRange(min = 1, max = 5_000) int rate,
            @ForAll @IntRange(min = 1, max = 2_000) int windowMillis) {
        long[] arrivals = arrivals(gapMicros);
        long[] replies = replies(ServiceModel.capacity(CapacitySchedule.constant(rate)), arrivals);
        long interval = (long) Math.ceil((double) SECOND / rate);
        long window = windowMillis * 1_000_000L;

        for (int i = 0; i < replies.length; i++) {
            assertThat(replies[i]).isGreaterThanOrEqualTo(arrivals[i]);
            if (i > 0) {
                // Work-conserving FIFO: the turn is the arrival, or one interval after the turn before.
                assertThat(replies[i]).isEqualTo(Math.max(arrivals[i], replies[i - 1] + interval));
            }
        }
        for (int i = 0; i < replies.length; i++) {
            int inWindow = 0;
            for (int j = i; j < replies.length && replies[j] < replies[i] + window; j++) {
                inWindow++;
            }
            assertThat((double) inWindow).isLessThanOrEqualTo(rate * (double) window / SECOND + 1);
        }
    }

    @Provide
    Arbitrary<CapacitySchedule> schedules() {
        Arbitrary<Integer> rates = Arbitraries.integers().between(1, 2_000);
        Arbitrary<Integer> lengths = Arbitraries.integers().between(1, 3_000);
        return Combinators.combine(rates.list().ofMinSize(1).ofMaxSize(5), lengths.list().ofSize(5))
                .as((stepRates, stepMillis) -> {
                    List<CapacitySchedule.Step> steps = new ArrayList<>();
                    long from = 0;
                    for (int i = 0; i < stepRates.size(); i++) {
                        steps.add(new CapacitySchedule.Step(stepRates.get(i), Duration.ofMillis(from)));
                        from += stepMillis.get(i);
                    }
                    return new CapacitySchedule(steps);
                });
    }

    @Property
    void aSteppedCapacityTakesWhatTheScheduleAllowsWithinOneMessage(
            @ForAll("schedules") CapacitySchedule schedule, @ForAll @IntRange(min = 2, max = 3_000) int backlog) {
        // Everything arrives at once: the sink is busy from the start until the backlog is gone.
        long[] arrivals = new long[backlog];
        long[] replies = replies(ServiceModel.capacity(schedule), arrivals);
        long last = replies[replies.length - 1];

        for (int i = 1; i < replies.length; i++) {
            // Between two turns the schedule allows one message, rounded up to the nanosecond.
            assertThat(schedule.allowedBetween(replies[i - 1], replies[i])).isCloseTo(1, within(1e-5));
        }
        // Over any stretch of the busy period, the count is the area under the rate, give or take one, less what the
        // turns' rounding up to the nanosecond has added up to by then (under a nanosecond's worth of rate per turn).
        double maxRate = schedule.steps().stream().mapToDouble(CapacitySchedule.Step::rate).max().orElseThrow();
        double rounding = replies.length * maxRate / 1e9;
        for (long from = 0; from < last; from += Math.max(1, last / 7)) {
            for (long to = from + 1; to <= last + 1; to += Math.max(1, last / 5)) {
                long f = from;
                long t = to;
                long count = java.util.Arrays.stream(replies).filter(r -> r >= f && r < t).count();
                double allowed = schedule.allowedBetween(from, to);
                assertThat((double) count).isBetween(allowed - 1.001 - rounding, allowed + 1.001);
            }
        }
    }

    @Property
    void workersNeverServeMoreThanTheirNumberAtOnceAndNeverIdleWhileMessagesWait(
            @ForAll("gaps") List<Integer> gapMicros, @ForAll @IntRange(min = 1, max = 20) int workers,
            @ForAll @IntRange(min = 1, max = 200) int serviceMillis) {
        long[] arrivals = arrivals(gapMicros);
        long service = serviceMillis * 1_000_000L;
        long[] done = replies(ServiceModel.workers(workers, Duration.ofMillis(serviceMillis)), arrivals);

        for (int i = 0; i < done.length; i++) {
            long start = done[i] - service;
            assertThat(start).isGreaterThanOrEqualTo(arrivals[i]);
            int busy = 0;
            for (int j = 0; j < done.length; j++) {
                if (done[j] - service <= start && start < done[j]) {
                    busy++;
                }
            }
            assertThat(busy).isLessThanOrEqualTo(workers);
            if (start > arrivals[i]) {
                // It waited: every worker was busy until the moment it started (service intervals (start, done]).
                int busyBefore = 0;
                for (long d : done) {
                    if (d - service < start && start <= d) {
                        busyBefore++;
                    }
                }
                assertThat(busyBefore).isEqualTo(workers);
            }
        }
    }

    @Property
    void schedulesPrintAsTheyParse(@ForAll("schedules") CapacitySchedule schedule) {
        assertThat(CapacitySchedule.parse(schedule.toString())).isEqualTo(schedule);
    }

    @Property
    void ratesWithDecimalsAndOffsetsInEveryUnitParse(@ForAll @IntRange(min = 1, max = 9_999_999) int milliRate,
            @ForAll @Size(min = 1, max = 4) List<@IntRange(min = 1, max = 500) Integer> offsets) {
        String rate = milliRate / 1000 + "." + String.format("%03d", milliRate % 1000) + "/s";
        StringBuilder text = new StringBuilder(rate);
        long at = 0;
        for (int offset : offsets) {
            at += offset;
            text.append(",").append(rate).append("@").append(at).append("ms");
        }
        CapacitySchedule parsed = CapacitySchedule.parse(text.toString());

        assertThat(parsed.steps()).hasSize(offsets.size() + 1);
        assertThat(parsed.rateAt(at * 1_000_000L)).isEqualTo(milliRate / 1000.0);
        assertThat(parsed.steps().get(offsets.size()).from()).isEqualTo(Duration.ofMillis(at));
    }

    @Property
    void aDurationGivesTheSameOffsetInEveryUnit(@ForAll @IntRange(min = 1, max = 600) int minutes) {
        assertThat(CapacitySchedule.parse("1/s,2/s@" + minutes + "m"))
                .isEqualTo(CapacitySchedule.parse("1/s,2/s@" + minutes * 60 + "s"));
    }

    @Property(tries = 20)
    void errorsNameTheStepAndWhatWasExpected() {
        assertThatThrownBy(() -> CapacitySchedule.parse("300/s,100/s")).hasMessage(
                "\"100/s\" (expected: an offset for every step after the first, e.g. 100/s@30s)");
        assertThatThrownBy(() -> CapacitySchedule.parse("300/s,100/s@30s,200/s@20s")).hasMessage(
                "\"200/s@20s\" (expected: an offset after the step before's 30s)");
        assertThatThrownBy(() -> CapacitySchedule.parse("300/s@5s")).hasMessage(
                "\"300/s@5s\" (expected: the first step from the start, without an offset or @0)");
        assertThatThrownBy(() -> CapacitySchedule.parse("0/s")).hasMessage(
                "\"0/s\" (expected: a rate > 0 and <= 1000000/s)");
        assertThatThrownBy(() -> CapacitySchedule.parse("300")).hasMessage(
                "\"300\" (expected: RATE/s or RATE/s@OFFSET, e.g. 300/s or 100/s@30s)");
        assertThatThrownBy(() -> CapacitySchedule.parse("300/s,1/s@5x")).hasMessage(
                "\"1/s@5x\" (expected: an offset with a unit ms, s, m or h, e.g. 100/s@30s)");
        assertThatThrownBy(() -> ServiceModel.workers(0, Duration.ofMillis(5)))
                .hasMessage("workers: 0 (expected: 1-100000)");
    }
}
