package io.sluice.policy.cluster;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;

/**
 * Times out requests to the cluster. They all get the same time, so the order they come in is the order they
 * expire in: a queue and a sweep every few milliseconds do what a timer per request did
 * ({@code CompletableFuture.orTimeout}), without waking a timer thread for every decision. A request expires
 * between its deadline and one sweep period after it.
 */
final class Deadlines {

    static final Duration SWEEP_PERIOD = Duration.ofMillis(10);

    private record Pending(CompletableFuture<?> answer, long expiresAtNanos) {
    }

    private final long timeoutNanos;
    private final LongSupplier nanoClock;
    private final ConcurrentLinkedQueue<Pending> pending = new ConcurrentLinkedQueue<>();

    Deadlines(Duration timeout, LongSupplier nanoClock) {
        this.timeoutNanos = timeout.toNanos();
        this.nanoClock = nanoClock;
    }

    /** Sweeps every {@link #SWEEP_PERIOD} on {@code scheduler}, until it shuts down. */
    void sweepOn(ScheduledExecutorService scheduler) {
        long period = SWEEP_PERIOD.toNanos();
        scheduler.scheduleWithFixedDelay(this::sweep, period, period, TimeUnit.NANOSECONDS);
    }

    /** Completes {@code answer} with a {@link TimeoutException} if nothing else completes it in time. */
    <T> CompletableFuture<T> watch(CompletableFuture<T> answer) {
        if (!answer.isDone()) {
            pending.add(new Pending(answer, nanoClock.getAsLong() + timeoutNanos));
        }
        return answer;
    }

    /** Expires what is due; answers already in are dropped from the queue as the sweep reaches them. */
    void sweep() {
        long now = nanoClock.getAsLong();
        for (Pending next = pending.peek(); next != null; next = pending.peek()) {
            boolean answered = next.answer().isDone();
            if (!answered && next.expiresAtNanos() - now > 0) {
                return;
            }
            pending.poll();
            if (!answered) {
                // Only a request still waiting gets the exception: building one (its stack trace) for every
                // answered request cost more than the decision's own bookkeeping.
                next.answer().completeExceptionally(new TimeoutException("no answer within "
                        + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms"));
            }
        }
    }

    /** Requests watched and not yet swept away. */
    int size() {
        return pending.size();
    }
}
