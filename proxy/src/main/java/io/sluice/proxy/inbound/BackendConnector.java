package io.sluice.proxy.inbound;

import io.netty.channel.EventLoop;
import io.netty.handler.ssl.SslContext;
import io.sluice.config.BackendTls;
import io.sluice.config.HostPort;
import io.sluice.config.SmtpTimeouts;
import io.sluice.policy.eval.HeldLeases;
import io.sluice.policy.eval.SessionLimits;
import io.sluice.policy.model.Decision;
import io.sluice.proxy.Transport;
import io.sluice.proxy.relay.HopSession;
import io.sluice.proxy.relay.IdleConnections;
import io.sluice.proxy.smtp.Request;
import io.sluice.proxy.smtp.ServerCapabilities;
import io.sluice.proxy.smtp.SmtpClientConnection;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens a ready-to-use connection to a pool's backend: connects (failing over to the next server), reads
 * the greeting, and upgrades to TLS where configured. It says EHLO only where it must learn something
 * before the client's own EHLO (TLS, or whether a server never seen before offers XCLIENT): every round
 * trip here delays the client's greeting.
 */
final class BackendConnector {

    private static final Logger log = LoggerFactory.getLogger(BackendConnector.class);

    private final BackendPool pool;
    private final Transport transport;
    private final String hostname;
    private final SmtpTimeouts timeouts;
    private final SslContext tls;
    private final boolean xclient;
    // Kept between client sessions: any connection of the pool serves any session.
    private final IdleConnections<BackendPool, BackendConnection> idle;
    private final Admission admission;
    // False once the listeners stop taking clients (the drain): nothing is opened ahead for a client to come.
    private final BooleanSupplier clientsMayCome;

    BackendConnector(BackendPool pool, Transport transport, String hostname, SmtpTimeouts timeouts, SslContext tls,
                     Admission admission, BooleanSupplier clientsMayCome) {
        this.pool = pool;
        this.admission = admission;
        this.clientsMayCome = clientsMayCome;
        this.transport = transport;
        this.hostname = hostname;
        this.timeouts = timeouts;
        this.tls = pool.config().tls() == BackendTls.STARTTLS ? tls : null;
        this.xclient = pool.config().xclient();
        this.idle = new IdleConnections<>(pool.config().reuse(), timeouts.backendCommand());
    }

    BackendPool pool() {
        return pool;
    }

    /** The pool's in-flight limit on this node. */
    Admission admission() {
        return admission;
    }

    /**
     * A greeted connection for a client session on the given event loop (the caller's): a kept one where
     * there is one, a new one otherwise. A new one first takes a slot of the backend-server rules, held for as
     * long as it is open; a server without a free slot is passed over, and with none anywhere the answer fails
     * with {@link BackendsBusy}. It completes on {@code loop}.
     */
    CompletableFuture<BackendConnection> open(EventLoop loop, SessionLimits limits) {
        BackendConnection kept = idle.take(pool, connection -> connection.server().isHealthy());
        if (kept != null) {
            return CompletableFuture.completedFuture(kept);
        }
        CompletableFuture<BackendConnection> result = new CompletableFuture<>();
        tryServer(new Attempt(loop, limits, pool.candidates(), result), 0, null, null);
        return result.thenApply(connection -> {
            connection.countUse();
            return connection;
        });
    }

    /** The connections kept for the next client, on every event loop. */
    int idle() {
        return idle.size();
    }

    /**
     * The client session is done with the connection: keep it for another, or say goodbye. One that has served its
     * {@code max-uses} is replaced once it has closed, so that the next client's greeting on this loop finds a kept
     * connection instead of waiting for a new one; the replacement's slots are asked with the session's limits, as for
     * any connection the session opens (they are held for as long as it is open).
     */
    void release(BackendConnection connection, HopSession session) {
        boolean wornOut = idle.wornOut(connection);
        idle.offer(pool, connection);
        if (wornOut) {
            connection.closeFuture().addListener(closed -> openAhead(session.loop(), session.limits()));
        }
    }

    /**
     * A connection opened ahead of the client that will use it, kept as if a session had left it (with no use
     * counted); a failure is left for that client to meet, as the search's own bookkeeping already saw it.
     */
    private void openAhead(EventLoop loop, SessionLimits limits) {
        if (!clientsMayCome.getAsBoolean()) {
            return;
        }
        CompletableFuture<BackendConnection> ahead = new CompletableFuture<>();
        tryServer(new Attempt(loop, limits, pool.candidates(), ahead), 0, null, null);
        ahead.thenAccept(connection -> idle.offer(pool, connection));
    }

    /** One search for a connection: the servers to try in order, and where the answer goes. */
    private record Attempt(EventLoop loop, SessionLimits limits, List<BackendServer> candidates,
                           CompletableFuture<BackendConnection> result) {}

    /** Every server had its slots taken by connections already open: the client is to come back later. */
    static final class BackendsBusy extends IOException {
        private final Decision refusal;

        BackendsBusy(String pool, Decision refusal) {
            super("every backend of pool " + pool + " is at its connection limit");
            this.refusal = refusal;
        }

        Decision refusal() {
            return refusal;
        }
    }

    /**
     * Tries the server at {@code index}, then the next. {@code busy} is the last refusal of a slot and
     * {@code lastError} the last failure to connect, or null: with no failure, a search that refused ends busy.
     */
    private void tryServer(Attempt attempt, int index, Decision busy, Throwable lastError) {
        if (index == attempt.candidates().size()) {
            attempt.result().completeExceptionally(lastError == null && busy != null
                    ? new BackendsBusy(pool.config().name(), busy)
                    : new IOException("no backend of pool " + pool.config().name() + " is reachable", lastError));
            return;
        }
        BackendServer server = attempt.candidates().get(index);
        HeldLeases slots = new HeldLeases();
        CompletableFuture<Decision> asked = attempt.limits().backend(server.ruleKey(), slots);
        // A cluster answers on its own thread; the connection is made and handed over on the session's loop.
        (asked.isDone() ? asked : asked.thenApplyAsync(decision -> decision, attempt.loop())).thenAccept(decision -> {
            if (!decision.admitted()) {
                tryServer(attempt, index + 1, decision, lastError);
                return;
            }
            connect(attempt.loop(), server)
                    .thenCompose(this::handshake)
                    .whenComplete((connection, error) -> {
                        if (error == null) {
                            server.sessionOpened();
                            connection.closeFuture().addListener(closed -> {
                                server.sessionClosed();
                                slots.release();
                            });
                            if (server.markHealthy(true)) {
                                log.info("backend {} of pool {} is reachable again", server, pool.config().name());
                            }
                            attempt.result().complete(connection);
                            return;
                        }
                        slots.release();
                        if (admission.enabled()) {
                            // A backend that cannot take a connection or greet one is pushing back.
                            admission.dropped();
                        }
                        if (server.markHealthy(false)) {
                            log.warn("backend {} of pool {} failed, trying the next: {}", server, pool.config().name(),
                                    SmtpClientConnection.rootMessage(error));
                        }
                        tryServer(attempt, index + 1, busy, error);
                    });
        });
    }

    /** A TCP connection to the server with the reply decoder in place; nothing read yet. */
    CompletableFuture<BackendConnection> connect(EventLoop loop, BackendServer server) {
        HostPort address = server.address();
        return SmtpClientConnection.connect(loop, transport.socketChannelClass(),
                InetSocketAddress.createUnresolved(address.host(), address.port()), null,
                pool.config().connectTimeout(), new BackendConnection(server, timeouts.backendDataBlock(), admission));
    }

    private CompletableFuture<BackendConnection> handshake(BackendConnection connection) {
        return connection.awaitReply(timeouts.backendGreeting())
                .thenCompose(greeting -> connection.expect(greeting, 220, "greeting"))
                .thenCompose(ignored -> {
                    if (tls != null) {
                        return ehlo(connection).thenCompose(this::startTls);
                    }
                    ServerCapabilities known = connection.server().lastCapabilities();
                    if (known == null && xclient) {
                        return ehlo(connection);
                    }
                    if (known != null) {
                        connection.capabilities(known);
                    }
                    return CompletableFuture.completedFuture(connection);
                });
    }

    private CompletableFuture<BackendConnection> startTls(BackendConnection connection) {
        HostPort address = connection.server().address();
        return connection.request(Request.STARTTLS, timeouts.backendCommand())
                .thenCompose(reply -> connection.expect(reply, 220, "STARTTLS"))
                .thenCompose(ignored -> connection.startTls(tls, address.host(), address.port()))
                // RFC 3207 §4.2: forget what was learned before the handshake and ask again.
                .thenCompose(ignored -> ehlo(connection));
    }

    private CompletableFuture<BackendConnection> ehlo(BackendConnection connection) {
        return connection.request(new Request.Ehlo(hostname), timeouts.backendCommand())
                .thenCompose(reply -> connection.expect(reply, 250, "EHLO"))
                .thenApply(reply -> {
                    connection.capabilities(ServerCapabilities.fromEhlo(reply));
                    return connection;
                });
    }
}
