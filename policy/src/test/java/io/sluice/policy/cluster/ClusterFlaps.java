package io.sluice.policy.cluster;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/** A cluster that fails before one call and answers again before the next, and the health that sees it. */
final class ClusterFlaps {

    final ClusterHealth health = new ClusterHealth(Duration.ofSeconds(10), 1);
    private final Runnable fail;
    private final Runnable answer;

    ClusterFlaps(Runnable fail, Runnable answer) {
        this.fail = fail;
        this.answer = answer;
    }

    /** Makes the call on the other side than the call before. */
    <T> CompletableFuture<T> next(Supplier<CompletableFuture<T>> call) {
        if (health.degraded()) {
            answer.run();
            health.probe(() -> CompletableFuture.completedFuture(0));
        } else {
            // The call itself finds the cluster failing and starts the episode.
            fail.run();
        }
        return call.get();
    }
}
