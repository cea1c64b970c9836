package io.sluice.policy.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
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
}
