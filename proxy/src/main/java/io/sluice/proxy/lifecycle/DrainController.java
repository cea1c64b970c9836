package io.sluice.proxy.lifecycle;

import static net.logstash.logback.argument.StructuredArguments.kv;

import io.sluice.config.DrainConfig;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns SIGTERM into an SMTP-correct goodbye, in phases: (1) not ready, but accepting and serving for the
 * announce period, while the load balancer takes the node out; (2) stop accepting; (3) every session is told
 * to end, at once when idle and after its transaction otherwise; (4) at the deadline whatever is left is
 * closed. Then {@code stopped} runs (the node leaves the cluster and the process exits). Starting it again
 * does nothing.
 */
public final class DrainController {

    private static final Logger log = LoggerFactory.getLogger(DrainController.class);
    private static final long POLL_MILLIS = 50;

    private final DrainConfig config;
    private final NodeState state;
    // Every service that holds client sessions: the drain waits for all of them.
    private final List<Drainable> services;
    private final Runnable stopped;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "sluice-drain");
        thread.setDaemon(true);
        return thread;
    });
    private ScheduledFuture<?> watching;
    private long deadlineNanos;

    public DrainController(DrainConfig config, NodeState state, List<Drainable> services, Runnable stopped) {
        this.config = config;
        this.state = state;
        this.services = List.copyOf(services);
        this.stopped = stopped;
    }

    /** Starts the drain unless it has started already. */
    public void start() {
        if (!state.advance(NodeState.Phase.SERVING, NodeState.Phase.DRAINING)
                && !state.advance(NodeState.Phase.STARTING, NodeState.Phase.DRAINING)) {
            return;
        }
        log.info("drain: not ready; still accepting while the load balancer catches up",
                kv("announce_ms", config.announce().toMillis()), kv("sessions", openSessions()));
        timer.schedule(this::stopAccepting, config.announce().toMillis(), TimeUnit.MILLISECONDS);
    }

    private void stopAccepting() {
        services.forEach(Drainable::stopAccepting);
        log.info("drain: listeners closed; sessions end after their transactions",
                kv("sessions", openSessions()), kv("timeout_ms", config.timeout().toMillis()));
        services.forEach(Drainable::sayGoodbye);
        deadlineNanos = System.nanoTime() + config.timeout().toNanos();
        watching = timer.scheduleWithFixedDelay(this::watch, 0, POLL_MILLIS, TimeUnit.MILLISECONDS);
    }

    private void watch() {
        int left = openSessions();
        if (left > 0 && System.nanoTime() - deadlineNanos < 0) {
            return;
        }
        watching.cancel(false);
        if (left > 0) {
            // None of these was told 250 for a message the backend has not accepted: at worst the RFC 1047 window.
            log.warn("drain: deadline passed; closing the sessions left", kv("sessions", left));
            services.forEach(Drainable::closeAll);
        }
        log.info("drain: done; leaving the cluster");
        state.advance(NodeState.Phase.DRAINING, NodeState.Phase.STOPPED);
        timer.shutdown();
        stopped.run();
    }

    private int openSessions() {
        return services.stream().mapToInt(Drainable::openSessions).sum();
    }
}
