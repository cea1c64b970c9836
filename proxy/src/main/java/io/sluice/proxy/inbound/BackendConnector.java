package io.sluice.proxy.inbound;

import io.netty.channel.EventLoop;
import io.netty.handler.ssl.SslContext;
import io.sluice.config.BackendTls;
import io.sluice.config.HostPort;
import io.sluice.config.SmtpTimeouts;
import io.sluice.proxy.Transport;
import io.sluice.proxy.session.BackendCapabilities;
import io.sluice.proxy.smtp.SmtpClientConnection;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CompletableFuture;
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
    private final IdleBackendConnections idle;

    BackendConnector(BackendPool pool, Transport transport, String hostname, SmtpTimeouts timeouts, SslContext tls) {
        this.pool = pool;
        this.transport = transport;
        this.hostname = hostname;
        this.timeouts = timeouts;
        this.tls = pool.config().tls() == BackendTls.STARTTLS ? tls : null;
        this.xclient = pool.config().xclient();
        this.idle = new IdleBackendConnections(pool.config().reuse(), timeouts.backendCommand());
    }

    BackendPool pool() {
        return pool;
    }

    /**
     * A greeted connection for a client session on the given event loop (the caller's): a kept one where
     * there is one, a new one otherwise.
     */
    CompletableFuture<BackendConnection> open(EventLoop loop) {
        BackendConnection kept = idle.take();
        if (kept != null) {
            kept.countUse();
            return CompletableFuture.completedFuture(kept);
        }
        CompletableFuture<BackendConnection> result = new CompletableFuture<>();
        tryServer(loop, pool.candidates(), 0, null, result);
        return result.thenApply(connection -> {
            connection.countUse();
            return connection;
        });
    }

    /** The client session is done with the connection: keep it for another, or say goodbye. */
    void release(BackendConnection connection) {
        idle.offer(connection);
    }

    private void tryServer(EventLoop loop, List<BackendServer> candidates, int index, Throwable lastError,
                           CompletableFuture<BackendConnection> result) {
        if (index == candidates.size()) {
            result.completeExceptionally(new IOException("no backend of pool " + pool.config().name()
                    + " is reachable", lastError));
            return;
        }
        BackendServer server = candidates.get(index);
        connect(loop, server)
                .thenCompose(this::handshake)
                .whenComplete((connection, error) -> {
                    if (error == null) {
                        server.sessionOpened();
                        connection.closeFuture().addListener(closed -> server.sessionClosed());
                        if (server.markHealthy(true)) {
                            log.info("backend {} of pool {} is reachable again", server, pool.config().name());
                        }
                        result.complete(connection);
                        return;
                    }
                    if (server.markHealthy(false)) {
                        log.warn("backend {} of pool {} failed, trying the next: {}", server, pool.config().name(),
                                rootMessage(error));
                    }
                    tryServer(loop, candidates, index + 1, error, result);
                });
    }

    /** A TCP connection to the server with the reply decoder in place; nothing read yet. */
    CompletableFuture<BackendConnection> connect(EventLoop loop, BackendServer server) {
        HostPort address = server.address();
        return SmtpClientConnection.connect(loop, transport.socketChannelClass(),
                InetSocketAddress.createUnresolved(address.host(), address.port()), null,
                pool.config().connectTimeout(), new BackendConnection(server, timeouts.backendDataBlock()));
    }

    private CompletableFuture<BackendConnection> handshake(BackendConnection connection) {
        return connection.awaitReply(timeouts.backendGreeting())
                .thenCompose(greeting -> connection.expect(greeting, 220, "greeting"))
                .thenCompose(ignored -> {
                    if (tls != null) {
                        return ehlo(connection).thenCompose(this::startTls);
                    }
                    BackendCapabilities known = connection.server().lastCapabilities();
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
        return connection.request("STARTTLS", timeouts.backendCommand())
                .thenCompose(reply -> connection.expect(reply, 220, "STARTTLS"))
                .thenCompose(ignored -> connection.startTls(tls, address.host(), address.port(), false))
                // RFC 3207 §4.2: forget what was learned before the handshake and ask again.
                .thenCompose(ignored -> ehlo(connection));
    }

    private CompletableFuture<BackendConnection> ehlo(BackendConnection connection) {
        return connection.request("EHLO " + hostname, timeouts.backendCommand())
                .thenCompose(reply -> connection.expect(reply, 250, "EHLO"))
                .thenApply(reply -> {
                    connection.capabilities(BackendCapabilities.fromEhlo(reply));
                    return connection;
                });
    }

    static String rootMessage(Throwable error) {
        return SmtpClientConnection.rootMessage(error);
    }
}
