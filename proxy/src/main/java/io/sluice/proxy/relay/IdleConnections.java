package io.sluice.proxy.relay;

import io.netty.util.concurrent.FastThreadLocal;
import io.sluice.config.ConnectionReuseConfig;
import io.sluice.proxy.smtp.SmtpClientConnection;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Connections to next hops kept between transactions or sessions, by a key of the caller's (a backend pool; a source
 * address and MX host). A connection lives on one event loop, so each loop keeps its own, and nothing is shared
 * between threads; the most recently used connection of a key goes out first, so the rest age out when traffic
 * drops. At most {@link ConnectionReuseConfig#maxIdle()} are kept per loop, whatever their keys.
 */
public final class IdleConnections<K, C extends SmtpClientConnection> {

    private final ConnectionReuseConfig config;
    private final Duration quitTimeout;
    private final FastThreadLocal<Kept<K, C>> idle = new FastThreadLocal<>() {
        @Override
        protected Kept<K, C> initialValue() {
            return new Kept<>();
        }
    };

    public IdleConnections(ConnectionReuseConfig config, Duration quitTimeout) {
        this.config = config;
        this.quitTimeout = quitTimeout;
    }

    public ConnectionReuseConfig config() {
        return config;
    }

    /**
     * An idle connection of the key on the calling event loop that is still reusable and that {@code usable}
     * accepts, counted as used once more; or null. Those found not fit on the way are told goodbye.
     */
    public C take(K key, Predicate<C> usable) {
        if (!config.enabled()) {
            return null;
        }
        Kept<K, C> kept = idle.get();
        ArrayDeque<C> connections = kept.byKey.get(key);
        if (connections == null) {
            return null;
        }
        for (C connection = connections.pollFirst(); connection != null; connection = connections.pollFirst()) {
            kept.count--;
            connection.leaveIdle();
            if (connection.isReusable() && usable.test(connection)) {
                if (connections.isEmpty()) {
                    kept.byKey.remove(key);
                }
                connection.countUse();
                return connection;
            }
            connection.quit(quitTimeout);
        }
        kept.byKey.remove(key);
        return null;
    }

    /** Keeps the connection for a later use where it may be, and says goodbye to it otherwise. */
    public void offer(K key, C connection) {
        Kept<K, C> kept = idle.get();
        if (!config.enabled() || !connection.isReusable() || connection.uses() >= config.maxUses()
                || kept.count >= config.maxIdle()) {
            connection.quit(quitTimeout);
            return;
        }
        ArrayDeque<C> connections = kept.byKey.computeIfAbsent(key, k -> new ArrayDeque<>(4));
        connections.addFirst(connection);
        kept.count++;
        connection.enterIdle(config.idleTimeout(), () -> {
            if (kept.remove(key, connection)) {
                connection.quit(quitTimeout);
            }
        }, () -> kept.remove(key, connection));
    }

    /** The connections kept on one event loop. */
    private static final class Kept<K, C> {
        private final Map<K, ArrayDeque<C>> byKey = new HashMap<>();
        private int count;

        boolean remove(K key, C connection) {
            ArrayDeque<C> connections = byKey.get(key);
            if (connections == null || !connections.remove(connection)) {
                return false;
            }
            count--;
            if (connections.isEmpty()) {
                byKey.remove(key);
            }
            return true;
        }
    }
}
