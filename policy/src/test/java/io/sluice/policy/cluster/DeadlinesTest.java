package io.sluice.policy.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The sweep that times out cluster requests, on a clock the test moves. */
class DeadlinesTest {

    private final AtomicLong nanos = new AtomicLong();
    private final Deadlines deadlines = new Deadlines(Duration.ofNanos(100), nanos::get);

    @Test
    void aRequestExpiresAtItsDeadlineNotBeforeAndInTheOrderItCameIn() {
        CompletableFuture<String> first = deadlines.watch(new CompletableFuture<>());
        nanos.set(30);
        CompletableFuture<String> second = deadlines.watch(new CompletableFuture<>());

        nanos.set(99);
        deadlines.sweep();
        assertThat(first).isNotDone();

        nanos.set(100);
        deadlines.sweep();
        assertThat(first).isCompletedExceptionally();
        assertThat(first.handle((value, error) -> error).join()).isInstanceOf(TimeoutException.class);
        assertThat(second).isNotDone();

        nanos.set(130);
        deadlines.sweep();
        assertThat(second).isCompletedExceptionally();
        assertThat(deadlines.size()).isZero();
    }

    @Test
    void anAnswerInTimeStaysAndIsDroppedFromTheQueue() {
        CompletableFuture<String> answered = deadlines.watch(new CompletableFuture<>());
        CompletableFuture<String> late = deadlines.watch(new CompletableFuture<>());
        answered.complete("granted");
        deadlines.sweep();
        assertThat(deadlines.size()).as("the answered head goes, the pending one stays").isEqualTo(1);

        nanos.set(100);
        deadlines.sweep();
        assertThat(answered.join()).isEqualTo("granted");
        assertThat(late).isCompletedExceptionally();
        assertThat(deadlines.size()).isZero();
    }

    @Test
    void anAnswerAlreadyInIsNotWatched() {
        CompletableFuture<String> done = deadlines.watch(CompletableFuture.completedFuture("at once"));
        assertThat(done.join()).isEqualTo("at once");
        assertThat(deadlines.size()).isZero();
    }

    @Test
    void aSchedulerIsWokenOnlyWhileARequestWaits() throws Exception {
        ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1);
        try {
            Deadlines timed = new Deadlines(Duration.ofMillis(30), System::nanoTime);
            timed.sweepOn(scheduler);
            assertThat(scheduler.getQueue()).as("nothing waits: no sweep scheduled").isEmpty();
            timed.watch(CompletableFuture.completedFuture("at once"));
            assertThat(scheduler.getQueue()).as("answered at once: no sweep scheduled").isEmpty();

            CompletableFuture<String> waiting = timed.watch(new CompletableFuture<>());
            timed.watch(new CompletableFuture<>());
            assertThat(scheduler.getQueue()).as("two waiting requests, one sweep").hasSize(1);

            assertThatThrownBy(() -> waiting.get(10, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(TimeoutException.class);
            scheduler.submit(() -> { }).get(10, TimeUnit.SECONDS);
            // The sweep that expired both found nothing left to wait for, and scheduled no other.
            scheduler.shutdown();
            assertThat(scheduler.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
            assertThat(timed.size()).isZero();
            assertThat(scheduler.getCompletedTaskCount()).as("sweeps run, and the final no-op").isBetween(2L, 10L);
        } finally {
            scheduler.shutdownNow();
        }
    }
}
