package io.sluice.policy.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

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
        // The test's clock: the two requests expire together however far apart a busy machine runs them.
        AtomicLong nanos = new AtomicLong();
        try {
            Deadlines timed = new Deadlines(Duration.ofMillis(30), nanos::get);
            timed.sweepOn(scheduler);
            assertThat(scheduler.getQueue()).as("nothing waits: no sweep scheduled").isEmpty();
            timed.watch(CompletableFuture.completedFuture("at once"));
            assertThat(scheduler.getQueue()).as("answered at once: no sweep scheduled").isEmpty();

            CompletableFuture<String> waiting = timed.watch(new CompletableFuture<>());
            CompletableFuture<String> other = timed.watch(new CompletableFuture<>());
            assertThat(scheduler.getQueue()).as("two waiting requests, one sweep").hasSize(1);

            nanos.set(Duration.ofMillis(30).toNanos());
            assertThatThrownBy(() -> waiting.get(10, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(TimeoutException.class);
            assertThatThrownBy(() -> other.get(10, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(TimeoutException.class);
            // Runs after the sweep that expired both is through.
            scheduler.submit(() -> { }).get(10, TimeUnit.SECONDS);

            assertThat(timed.size()).isZero();
            assertThat(scheduler.getQueue()).as("nothing left to wait for: no further sweep scheduled").isEmpty();
            // The pool counts a task only after its future is done, so the count is waited for, not read at once.
            await("sweeps run, and the no-op").atMost(Duration.ofSeconds(10))
                    .until(() -> scheduler.getCompletedTaskCount() >= 2);
        } finally {
            scheduler.shutdownNow();
        }
    }
}
