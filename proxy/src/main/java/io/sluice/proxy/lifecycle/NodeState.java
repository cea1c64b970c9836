package io.sluice.proxy.lifecycle;

import java.util.function.IntSupplier;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What probes, metrics and the admin API say about this node: whether it is live and ready for traffic,
 * whether it is draining, and how many client sessions it still serves.
 */
public final class NodeState {

    /** Where the node is in its life. */
    public enum Phase {
        /** Starting up: live, not ready. */
        STARTING,
        /** Serving: live and ready. */
        SERVING,
        /** Draining (announce, stop accepting, goodbye to sessions, deadline): live, not ready. */
        DRAINING,
        /** Drained; the process is about to exit. */
        STOPPED
    }

    private final AtomicReference<Phase> phase = new AtomicReference<>(Phase.STARTING);
    private volatile IntSupplier sessions = () -> 0;
    private volatile Runnable drain = () -> { };

    public Phase phase() {
        return phase.get();
    }

    /** Liveness stays true until the process stops, draining included: a restart would only cut sessions. */
    public boolean live() {
        return phase.get() != Phase.STOPPED;
    }

    public boolean ready() {
        return phase.get() == Phase.SERVING;
    }

    public boolean draining() {
        Phase now = phase.get();
        return now == Phase.DRAINING || now == Phase.STOPPED;
    }

    /** Client sessions open now. */
    public int sessions() {
        return sessions.getAsInt();
    }

    /** Where the open sessions are counted: the services that hold them, as the drain counts them too. */
    public void countSessionsWith(IntSupplier count) {
        this.sessions = count;
    }

    /** Starts the drain, as SIGTERM does; idempotent. */
    public void startDrain() {
        drain.run();
    }

    /** Who carries out {@link #startDrain()}. */
    public void drainWith(Runnable controller) {
        this.drain = controller;
    }

    /** Moves to {@code next} only from {@code expected}; false if the node was elsewhere. */
    public boolean advance(Phase expected, Phase next) {
        return phase.compareAndSet(expected, next);
    }
}
