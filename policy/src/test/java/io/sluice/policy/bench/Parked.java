package io.sluice.policy.bench;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;

/**
 * Waits for an answer as the proxy does, by a callback, parked. Joining Hazelcast's futures spins, which on a
 * two-core machine takes a core from the members and measures the waiting rather than the cluster.
 */
final class Parked {

    private Parked() {
    }

    static <T> T await(CompletableFuture<T> answer) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(1);
        answer.whenComplete((value, error) -> done.countDown());
        done.await();
        return answer.join();
    }
}
