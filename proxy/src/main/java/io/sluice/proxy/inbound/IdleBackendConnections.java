package io.sluice.proxy.inbound;

import io.netty.util.concurrent.FastThreadLocal;
import io.sluice.config.ConnectionReuseConfig;
import java.time.Duration;
import java.util.ArrayDeque;

/**
 * Backend connections kept between client sessions. A connection lives on one event loop, so each loop
 * keeps its own list and nothing is shared between threads; the most recently used connection goes out
 * first, so the rest age out when traffic drops.
 */
final class IdleBackendConnections {

    private final ConnectionReuseConfig config;
    private final Duration quitTimeout;
    private final FastThreadLocal<ArrayDeque<BackendConnection>> idle = new FastThreadLocal<>() {
        @Override
        protected ArrayDeque<BackendConnection> initialValue() {
            return new ArrayDeque<>();
        }
    };

    IdleBackendConnections(ConnectionReuseConfig config, Duration quitTimeout) {
        this.config = config;
        this.quitTimeout = quitTimeout;
    }

    /** An idle connection to a healthy server on the calling event loop, or null. */
    BackendConnection take() {
        if (!config.enabled()) {
            return null;
        }
        ArrayDeque<BackendConnection> connections = idle.get();
        for (BackendConnection connection = connections.pollFirst(); connection != null;
                connection = connections.pollFirst()) {
            connection.leaveIdle();
            if (connection.isReusable() && connection.server().isHealthy()) {
                return connection;
            }
            connection.quit(quitTimeout);
        }
        return null;
    }

    /** Keeps the connection for a later session where it may be, and says goodbye to it otherwise. */
    void offer(BackendConnection connection) {
        ArrayDeque<BackendConnection> connections = idle.get();
        if (!config.enabled() || !connection.isReusable() || connection.uses() >= config.maxUses()
                || connections.size() >= config.maxIdle()) {
            connection.quit(quitTimeout);
            return;
        }
        connections.addFirst(connection);
        connection.enterIdle(config.idleTimeout(), () -> {
            connections.remove(connection);
            connection.quit(quitTimeout);
        }, () -> connections.remove(connection));
    }
}
