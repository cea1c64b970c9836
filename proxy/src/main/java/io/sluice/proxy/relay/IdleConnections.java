package io.sluice.proxy.relay;

import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.FastThreadLocal;
import io.sluice.config.ConnectionReuseConfig;
import io.sluice.proxy.smtp.SmtpClientConnection;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * Connections to next hops kept between transactions or sessions, by a key of the caller's (a backend pool; a source
 * address and MX host). A connection lives on one event loop, so each loop keeps its own, and nothing is shared
 * between threads; the most recently used connection of a key goes out first, so the rest age out when traffic
 * drops. At most {@link ConnectionReuseConfig#maxIdle()} are kept per loop, whatever their keys. An idle connection
 * may hold slots of concurrency rules that a session on another loop needs: {@link #shedEverywhere} has every loop
 * close those it keeps of a kind.
 */
public final class IdleConnections<K, C extends SmtpClientConnection> {

    private final ConnectionReuseConfig config;
    private final Duration quitTimeout;
    // Kept on every loop, for the gauge: each loop's own count is what it decides by.
    private final AtomicInteger keptEverywhere = new AtomicInteger();
    private final FastThreadLocal<Kept<K, C>> idle = new FastThreadLocal<>() {
        @Override
        protected Kept<K, C> initialValue() {
            return new Kept<>(keptEverywhere);
        }
    };

    public IdleConnections(ConnectionReuseConfig config, Duration quitTimeout) {
        this.config = config;
        this.quitTimeout = quitTimeout;
    }

    public ConnectionReuseConfig config() {
        return config;
    }

    /** The connections kept on all event loops now. */
    public int size() {
        return keptEverywhere.get();
    }

    /**
     * Whether {@link #offer}, on the calling event loop, would keep the connection but for the {@link
     * ConnectionReuseConfig#maxUses()} uses it has served: it is fit for another, there is room, and it is worn out.
     */
    public boolean wornOut(C connection) {
        return fitWithRoom(connection, idle.get()) && connection.uses() >= config.maxUses();
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
            kept.left();
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
        if (!fitWithRoom(connection, kept) || connection.uses() >= config.maxUses()) {
            connection.quit(quitTimeout);
            return;
        }
        ArrayDeque<C> connections = kept.byKey.computeIfAbsent(key, k -> new ArrayDeque<>(4));
        connections.addFirst(connection);
        kept.added();
        connection.enterIdle(config.idleTimeout(), () -> {
            if (kept.remove(key, connection)) {
                connection.quit(quitTimeout);
            }
        }, () -> kept.remove(key, connection));
    }

    /** Whether reuse is on, the connection may serve another use, and the loop has room to keep it. */
    private boolean fitWithRoom(C connection, Kept<K, C> kept) {
        return config.enabled() && connection.isReusable() && kept.count < config.maxIdle();
    }

    /**
     * Says goodbye to every idle connection kept on the calling event loop that {@code which} selects; completes,
     * once they are all closed, with how many there were.
     */
    public CompletableFuture<Integer> shed(Predicate<C> which) {
        Kept<K, C> kept = idle.get();
        List<C> shed = new ArrayList<>();
        for (Iterator<ArrayDeque<C>> keys = kept.byKey.values().iterator(); keys.hasNext(); ) {
            ArrayDeque<C> connections = keys.next();
            for (Iterator<C> each = connections.iterator(); each.hasNext(); ) {
                C connection = each.next();
                if (which.test(connection)) {
                    each.remove();
                    kept.left();
                    shed.add(connection);
                }
            }
            if (connections.isEmpty()) {
                keys.remove();
            }
        }
        CompletableFuture<?>[] closed = new CompletableFuture<?>[shed.size()];
        for (int i = 0; i < closed.length; i++) {
            C connection = shed.get(i);
            CompletableFuture<Void> done = new CompletableFuture<>();
            connection.closeFuture().addListener(ignored -> done.complete(null));
            closed[i] = done;
            connection.leaveIdle();
            connection.quit(quitTimeout);
        }
        return CompletableFuture.allOf(closed).thenApply(ignored -> closed.length);
    }

    /**
     * {@link #shed} on every event loop of the group, each by a task on its own loop (the only thread that may touch
     * its connections); completes once all are closed, with how many there were in all.
     */
    public CompletableFuture<Integer> shedEverywhere(EventLoopGroup group, Predicate<C> which) {
        List<CompletableFuture<Integer>> loops = new ArrayList<>();
        for (EventExecutor loop : group) {
            CompletableFuture<Integer> shed = new CompletableFuture<>();
            loops.add(shed);
            try {
                loop.execute(() -> shed(which).whenComplete((count, error) -> shed.complete(error == null ? count : 0)));
            } catch (RejectedExecutionException shuttingDown) {
                shed.complete(0);
            }
        }
        return CompletableFuture.allOf(loops.toArray(CompletableFuture<?>[]::new))
                .thenApply(ignored -> loops.stream().mapToInt(CompletableFuture::join).sum());
    }

    /** The connections kept on one event loop. */
    private static final class Kept<K, C> {
        private final Map<K, ArrayDeque<C>> byKey = new HashMap<>();
        private final AtomicInteger everywhere;
        private int count;

        Kept(AtomicInteger everywhere) {
            this.everywhere = everywhere;
        }

        void added() {
            count++;
            everywhere.incrementAndGet();
        }

        /** One connection has left byKey. */
        void left() {
            count--;
            everywhere.decrementAndGet();
        }

        boolean remove(K key, C connection) {
            ArrayDeque<C> connections = byKey.get(key);
            if (connections == null || !connections.remove(connection)) {
                return false;
            }
            left();
            if (connections.isEmpty()) {
                byKey.remove(key);
            }
            return true;
        }
    }
}
