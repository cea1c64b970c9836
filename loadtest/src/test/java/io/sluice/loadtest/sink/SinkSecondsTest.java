package io.sluice.loadtest.sink;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.loadtest.load.LoadGenerator;
import io.sluice.loadtest.load.LoadPlan;
import io.sluice.loadtest.load.LoadResult;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A sink of finite capacity in this process, as the adaptive demo runs it, sampled second by second. */
class SinkSecondsTest {

    @Test
    void aSecondCountsWhatTheSinkAcceptedAndNoReplyComesBeforeTheServiceTime() throws Exception {
        try (Sink sink = Sink.withCapacity(CapacitySchedule.parse("200/s"), Duration.ofMillis(50))) {
            LoadResult result = new LoadGenerator(LoadPlan.closedLoop(sink.address(), 2, Duration.ofSeconds(10))
                    .withBounds(6, Duration.ofSeconds(20), Duration.ofSeconds(20)), Optional.empty(), s -> { })
                    .run();

            SinkRateLog.Row second = sink.sampleSecond();

            assertThat(result.totals().admitted()).isEqualTo(6);
            assertThat(second.messages()).isEqualTo(6);
            assertThat(second.p50Micros()).isGreaterThanOrEqualTo(50_000);
            assertThat(sink.sampleSecond().messages()).isZero();
        }
    }

    @Test
    void aScheduleBegunAgainCountsFromThen() throws Exception {
        try (Sink sink = Sink.withCapacity(CapacitySchedule.parse("200/s"), Duration.ofMillis(1))) {
            LoadResult result = new LoadGenerator(LoadPlan.closedLoop(sink.address(), 1, Duration.ofSeconds(10))
                    .withBounds(3, Duration.ofSeconds(20), Duration.ofSeconds(20)), Optional.empty(), s -> { })
                    .run();

            sink.beginSchedule();

            SinkRateLog.Row first = sink.sampleSecond();
            assertThat(first.messages()).isZero();
            assertThat(first.p99Micros()).isZero();
            assertThat(result.totals().admitted()).as("%s %s", result.totals(), result.replies()).isEqualTo(3);
            assertThat(sink.received()).isEqualTo(3);
        }
    }
}
