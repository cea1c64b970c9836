package io.sluice.policy.cluster;

import static net.logstash.logback.argument.StructuredArguments.kv;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the cluster answers limit requests in time. A request that fails or passes the decision deadline
 * starts a fallback episode: requests are answered locally until a probe gets a timely answer again. One WARN
 * line per episode, one INFO line when it ends.
 */
public final class ClusterHealth {

    private static final Logger log = LoggerFactory.getLogger(ClusterHealth.class);

    private final Deadlines deadlines;
    private final int minMembers;
    private final AtomicBoolean degraded = new AtomicBoolean();
    private final AtomicLong episodes = new AtomicLong();
    private final List<Runnable> recoveryListeners = new CopyOnWriteArrayList<>();
    private volatile int members = 1;
    private volatile int lastKnownMembers = 1;

    /** Requests pass their deadline only while {@link #sweepOn} sweeps. */
    public ClusterHealth(Duration deadline, int minMembers) {
        this.deadlines = new Deadlines(deadline, System::nanoTime);
        this.minMembers = minMembers;
    }

    /** Expires late requests on {@code scheduler}, every few milliseconds, until it shuts down. */
    public void sweepOn(ScheduledExecutorService scheduler) {
        deadlines.sweepOn(scheduler);
    }

    /** Runs the request against the cluster, or answers it with the fallback when the cluster cannot. */
    public <T> CompletableFuture<T> call(Supplier<CompletableFuture<T>> cluster, Supplier<CompletableFuture<T>> fallback) {
        if (degraded.get()) {
            return fallback.get();
        }
        CompletableFuture<T> request;
        try {
            request = cluster.get();
        } catch (RuntimeException e) {
            request = CompletableFuture.failedFuture(e);
        }
        if (request.isDone() && !request.isCompletedExceptionally()) {
            // Answered at once (from this node's copy of a bucket, say): nothing to time out, no stages to add, and
            // nothing a caller can change.
            return request;
        }
        // The deadline goes on a copy: timing out the request itself would keep a late answer (a lease granted
        // after all) from those who wait for it to undo it.
        return deadlines.watch(request.copy())
                .handle((value, error) -> {
                    if (error == null) {
                        return CompletableFuture.completedFuture(value);
                    }
                    degrade(error);
                    return fallback.get();
                })
                .thenCompose(answer -> answer);
    }

    /** The member count changed; too few members counts as the cluster being unavailable. */
    public void membersChanged(int count) {
        members = count;
        if (count < minMembers) {
            degrade(new IllegalStateException(count + " members, fewer than min-members " + minMembers));
        } else {
            lastKnownMembers = count;
        }
    }

    /**
     * Ends the episode if a probe request came back in time and the cluster is big enough; call it now and then
     * while {@link #degraded()}.
     */
    public void probe(Supplier<CompletableFuture<?>> request) {
        if (!degraded.get() || members < minMembers) {
            return;
        }
        CompletableFuture<?> answer;
        try {
            answer = request.get();
        } catch (RuntimeException e) {
            return;
        }
        deadlines.watch(answer).whenComplete((value, error) -> {
            if (error == null && degraded.compareAndSet(true, false)) {
                log.info("cluster answers again; limits are cluster-wide", kv("members", members));
                recoveryListeners.forEach(ClusterHealth::runSafely);
            }
        });
    }

    /** Runs {@code listener} each time an episode ends, on the thread that saw the probe's answer. */
    public void onRecovery(Runnable listener) {
        recoveryListeners.add(listener);
    }

    public boolean degraded() {
        return degraded.get();
    }

    /** Fallback episodes since start. */
    public long episodes() {
        return episodes.get();
    }

    /**
     * The last member count that was at least {@code min-members} (members that leave during an episode are
     * counted out): local fallback buckets get this share of a limit.
     */
    public int lastKnownMembers() {
        return lastKnownMembers;
    }

    private void degrade(Throwable cause) {
        if (degraded.compareAndSet(false, true)) {
            episodes.incrementAndGet();
            log.warn("cluster unavailable; limits fall back", kv("members", members),
                    kv("last_known_members", lastKnownMembers), kv("error", rootMessage(cause)));
        }
    }

    private static void runSafely(Runnable listener) {
        try {
            listener.run();
        } catch (RuntimeException e) {
            log.warn("recovery step failed", kv("error", e.toString()));
        }
    }

    private static String rootMessage(Throwable error) {
        Throwable root = error;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    }
}
