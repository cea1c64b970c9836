package io.sluice.policy.cluster;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

/**
 * Times out requests to the cluster. They all get the same time, so the order they come in is the order they
 * expire in: a queue and a sweep every few milliseconds do what a timer per request did
 * ({@code CompletableFuture.orTimeout}), without waking a timer thread for every decision. A request expires
 * between its deadline and one sweep period after it. Sweeps run only while a request waits: most decisions are
 * answered at once from this node's copy of a bucket, and an idle node is not woken a hundred times a second.
 */
final class Deadlines {

    static final Duration SWEEP_PERIOD = Duration.ofMillis(10);

    private record Pending(CompletableFuture<?> answer, long expiresAtNanos) {
    }

    private final long timeoutNanos;
    private final LongSupplier nanoClock;
    private final ConcurrentLinkedQueue<Pending> pending = new ConcurrentLinkedQueue<>();
    private volatile ScheduledExecutorService scheduler;
    // A sweep is scheduled: set by whoever schedules it, cleared by the sweep before it looks for more to do.
    private final AtomicBoolean sweepScheduled = new AtomicBoolean();

    Deadlines(Duration timeout, LongSupplier nanoClock) {
        this.timeoutNanos = timeout.toNanos();
        this.nanoClock = nanoClock;
    }

    /** Sweeps every {@link #SWEEP_PERIOD} on {@code scheduler} while requests wait, until it shuts down. */
    void sweepOn(ScheduledExecutorService scheduler) {
        this.scheduler = scheduler;
        sweepLaterIfWaiting();
    }

    /** Completes {@code answer} with a {@link TimeoutException} if nothing else completes it in time. */
    <T> CompletableFuture<T> watch(CompletableFuture<T> answer) {
        if (!answer.isDone()) {
            pending.add(new Pending(answer, nanoClock.getAsLong() + timeoutNanos));
            sweepLaterIfWaiting();
        }
        return answer;
    }

    /**
     * Schedules a sweep one period from now if a request waits and none is scheduled. A request added while a
     * sweep runs is seen by that sweep's own check, which follows its clearing of the flag.
     */
    private void sweepLaterIfWaiting() {
        ScheduledExecutorService on = scheduler;
        // Read before the write: while requests wait a sweep is nearly always scheduled, and a failing CAS is a write.
        if (on == null || pending.isEmpty() || sweepScheduled.get() || !sweepScheduled.compareAndSet(false, true)) {
            return;
        }
        try {
            on.schedule(this::sweepAndGoOn, SWEEP_PERIOD.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            // The scheduler shut down with the store: nothing is swept any more, as before.
            sweepScheduled.set(false);
        }
    }

    private void sweepAndGoOn() {
        try {
            sweep();
        } finally {
            sweepScheduled.set(false);
            sweepLaterIfWaiting();
        }
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
