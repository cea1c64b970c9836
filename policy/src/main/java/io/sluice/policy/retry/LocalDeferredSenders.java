package io.sluice.policy.retry;

import io.sluice.config.RetryPriority;
import java.time.Clock;

/** The marks of this node alone: what it deferred is what it remembers. */
public final class LocalDeferredSenders implements DeferredSenders {

    private final MarkGenerations generations;
    private final Clock clock;

    public LocalDeferredSenders(RetryPriority config, Clock clock) {
        this.generations = new MarkGenerations(config);
        this.clock = clock;
    }

    @Override
    public boolean mark(long key) {
        return generations.add(key, clock.millis());
    }

    @Override
    public long firstDeferred(long key) {
        return generations.firstDeferred(key, clock.millis());
    }

    @Override
    public long memoryBytes() {
        return generations.memoryBytes();
    }

    @Override
    public long maxBytes() {
        return generations.maxBytes();
    }
}
