package io.sluice.policy.ratelimit;

import io.github.bucket4j.TimeMeter;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** A clock that moves only when a test says so, for buckets and leases. */
public final class ManualClock implements TimeMeter {

    // A plausible epoch time, so a clock that claims to be a wall clock reads like one.
    private static final long WALL_START_NANOS = 1_750_000_000_000_000_000L;

    private final AtomicLong nanos;
    private final boolean wallClockBased;

    private ManualClock(long startNanos, boolean wallClockBased) {
        this.nanos = new AtomicLong(startNanos);
        this.wallClockBased = wallClockBased;
    }

    /** A monotonic clock starting at zero, as a local bucket uses. */
    public static ManualClock monotonic() {
        return new ManualClock(0, false);
    }

    /** A clock that reads as wall-clock time: Bucket4j accepts only those as the clock of a distributed bucket. */
    public static ManualClock wall() {
        return new ManualClock(WALL_START_NANOS, true);
    }

    public void advance(Duration duration) {
        advanceNanos(duration.toNanos());
    }

    public void advanceNanos(long delta) {
        if (delta < 0) {
            throw new IllegalArgumentException("delta: " + delta + " (expected: >= 0)");
        }
        nanos.addAndGet(delta);
    }

    @Override
    public long currentTimeNanos() {
        return nanos.get();
    }

    @Override
    public boolean isWallClockBased() {
        return wallClockBased;
    }
}
