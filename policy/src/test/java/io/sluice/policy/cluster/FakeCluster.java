package io.sluice.policy.cluster;

import io.sluice.policy.ratelimit.LocalRateLimiter;
import io.sluice.policy.ratelimit.ManualClock;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * A cluster limiter that answers, stalls (its answers come only when the test says, if ever), fails, or throws,
 * as the test says.
 */
final class FakeCluster extends ForwardingRateLimiter {

    private enum Mode { ANSWER, STALL, FAIL, THROW }

    private final List<Runnable> stalled = new CopyOnWriteArrayList<>();
    private volatile Mode mode = Mode.ANSWER;
    private volatile int calls;

    FakeCluster(ManualClock clock) {
        super(new LocalRateLimiter(clock));
    }

    void answer() {
        mode = Mode.ANSWER;
    }

    void stall() {
        mode = Mode.STALL;
    }

    /** The stalled requests reach the buckets now, and their answers come, late. */
    void answerStalled() {
        stalled.forEach(Runnable::run);
        stalled.clear();
    }

    void fail() {
        mode = Mode.FAIL;
    }

    void throwOnCall() {
        mode = Mode.THROW;
    }

    int calls() {
        return calls;
    }

    @Override
    <T> CompletableFuture<T> call(Supplier<CompletableFuture<T>> answer) {
        calls++;
        return switch (mode) {
            case ANSWER -> answer.get();
            case STALL -> {
                CompletableFuture<T> late = new CompletableFuture<>();
                stalled.add(() -> answer.get().whenComplete((value, error) -> late.complete(value)));
                yield late;
            }
            case FAIL -> CompletableFuture.failedFuture(new IllegalStateException("cluster down"));
            case THROW -> throw new IllegalStateException("client not active");
        };
    }
}
