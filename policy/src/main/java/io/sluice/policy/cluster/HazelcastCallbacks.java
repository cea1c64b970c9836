package io.sluice.policy.cluster;

import java.util.concurrent.ForkJoinPool;

/**
 * Where the callbacks of Hazelcast's futures run, every cluster decision's among them. Hazelcast hands them to the
 * JDK's common pool, but to a new thread per callback when that pool has fewer than two threads, as it has on a one-
 * or two-core machine or pod. Starting a thread per decision made a decision about four times slower on two cores
 * (JMH, key owned by the other member: p50 1.3 ms against 0.3 ms).
 */
public final class HazelcastCallbacks {

    static final String PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";
    static final int MIN_THREADS = 2;

    private HazelcastCallbacks() {
    }

    /**
     * Gives the common pool at least two threads unless the operator chose its size. Has effect only before the
     * pool's first use: call it first thing in {@code main}.
     */
    public static void useAPool() {
        if (System.getProperty(PARALLELISM) == null && Runtime.getRuntime().availableProcessors() <= MIN_THREADS) {
            System.setProperty(PARALLELISM, Integer.toString(MIN_THREADS));
        }
    }

    /** Whether callbacks run on a pool, rather than on a thread started for each. */
    public static boolean onAPool() {
        return ForkJoinPool.getCommonPoolParallelism() >= MIN_THREADS;
    }
}
