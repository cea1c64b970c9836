package io.sluice.policy.retry;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;

/** A wall clock that moves only when a test says so, for marks and their generations and fair-share windows. */
public final class SteppedClock extends Clock {

    private final AtomicLong millis;
    private volatile long tick;

    public SteppedClock(long startMillis) {
        this.millis = new AtomicLong(startMillis);
    }

    public void advance(Duration step) {
        millis.addAndGet(step.toMillis());
    }

    public void set(long epochMillis) {
        millis.set(epochMillis);
    }

    /** From now on every reading moves the clock on by {@code step} (zero: it moves only when told). */
    public void tickEachRead(Duration step) {
        tick = step.toMillis();
    }

    @Override
    public long millis() {
        return millis.getAndAdd(tick);
    }

    @Override
    public Instant instant() {
        return Instant.ofEpochMilli(millis());
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        throw new UnsupportedOperationException("a test clock has one zone");
    }
}
