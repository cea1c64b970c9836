package io.sluice.proxy.smtp;

import io.netty.util.concurrent.EventExecutor;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A timeout re-armed far more often than it fires (every command re-arms it): one scheduled check that
 * looks at the latest deadline, instead of scheduling and cancelling a task per command. Used on one event
 * loop only.
 */
public final class Deadline {

    private final EventExecutor executor;
    private final Runnable onExpiry;
    private long deadlineNanos;
    private boolean armed;
    private ScheduledFuture<?> check;

    public Deadline(EventExecutor executor, Runnable onExpiry) {
        this.executor = executor;
        this.onExpiry = onExpiry;
    }

    /** Expires {@code timeout} from now unless re-armed or disarmed first. */
    public void arm(Duration timeout) {
        long nanos = timeout.toNanos();
        deadlineNanos = System.nanoTime() + nanos;
        armed = true;
        if (check != null && check.getDelay(TimeUnit.NANOSECONDS) > nanos) {
            // A shorter timeout than the one the check was scheduled for.
            check.cancel(false);
            check = null;
        }
        if (check == null) {
            schedule(nanos);
        }
    }

    public void disarm() {
        armed = false;
    }

    /** Disarms and drops the scheduled check, when the connection is gone. */
    public void cancel() {
        armed = false;
        if (check != null) {
            check.cancel(false);
            check = null;
        }
    }

    private void schedule(long nanos) {
        check = executor.schedule(this::expireOrWait, nanos, TimeUnit.NANOSECONDS);
    }

    private void expireOrWait() {
        check = null;
        if (!armed) {
            return;
        }
        long left = deadlineNanos - System.nanoTime();
        if (left > 0) {
            schedule(left);
        } else {
            armed = false;
            onExpiry.run();
        }
    }
}
