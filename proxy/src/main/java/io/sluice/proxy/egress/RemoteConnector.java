package io.sluice.proxy.egress;

import static net.logstash.logback.argument.StructuredArguments.kv;

import io.netty.channel.EventLoop;
import io.netty.handler.ssl.SslContext;
import io.sluice.config.EgressTls;
import io.sluice.config.SmtpTimeouts;
import io.sluice.proxy.Transport;
import io.sluice.proxy.smtp.Request;
import io.sluice.proxy.smtp.ServerCapabilities;
import io.sluice.proxy.smtp.SmtpClientConnection;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens a ready connection to a destination's mail exchanger: tries the hosts in the order given and each host's
 * addresses of the source's family, binding the source address and never connecting to a forbidden destination,
 * then reads the greeting, says EHLO with the source's name and upgrades with STARTTLS as the pool says.
 */
final class RemoteConnector {

    private static final Logger log = LoggerFactory.getLogger(RemoteConnector.class);
    // Postfix's smtp_mx_address_limit: more attempts only delay the tempfail that lets the MTA retry later.
    static final int MAX_ATTEMPTS = 5;

    private final EgressPools pools;
    private final DestinationScreen destinations;
    private final Transport transport;
    private final SmtpTimeouts timeouts;
    private final Duration connectTimeout;
    private final int remotePort;
    private final SslContext opportunisticTls;
    private final SslContext verifiedTls;

    RemoteConnector(EgressPools pools, DestinationScreen destinations, Transport transport, SmtpTimeouts timeouts,
                    Duration connectTimeout, int remotePort, SslContext opportunisticTls, SslContext verifiedTls) {
        this.pools = pools;
        this.destinations = destinations;
        this.transport = transport;
        this.timeouts = timeouts;
        this.connectTimeout = connectTimeout;
        this.remotePort = remotePort;
        this.opportunisticTls = opportunisticTls;
        this.verifiedTls = verifiedTls;
    }

    /**
     * A greeted connection to one of the hosts, from {@code source} of the pool; fails with the last host's
     * reason when none answers as it should, or at once if the source is not the pool's.
     */
    CompletableFuture<RemoteConnection> open(EventLoop loop, EgressPool pool, SourceAddress source,
                                             List<MxHost> hosts) {
        // The invariant, checked where it matters: right before the socket binds the source.
        if (!pools.mayBind(pool.name(), source)) {
            log.error("refused to bind a source of another pool", kv("pool", pool.name()), kv("source", source));
            return CompletableFuture.failedFuture(new PoolViolationException(pool.name(), source));
        }
        List<Attempt> attempts = new ArrayList<>();
        for (MxHost host : hosts) {
            for (InetAddress address : host.addresses()) {
                if (source.reaches(address) && attempts.size() < MAX_ATTEMPTS) {
                    attempts.add(new Attempt(host, address));
                }
            }
        }
        CompletableFuture<RemoteConnection> result = new CompletableFuture<>();
        attempt(loop, pool, source, attempts, 0, null, result);
        return result;
    }

    private record Attempt(MxHost host, InetAddress address) {}

    private void attempt(EventLoop loop, EgressPool pool, SourceAddress source, List<Attempt> attempts, int index,
                         Throwable lastError, CompletableFuture<RemoteConnection> result) {
        if (index == attempts.size()) {
            result.completeExceptionally(lastError != null ? lastError
                    : new IOException("no mail exchanger address reachable from " + source));
            return;
        }
        Attempt attempt = attempts.get(index);
        // The invariant, checked where it matters: right before the connect, whatever list of hosts came in.
        if (!destinations.permits(attempt.host(), attempt.address())) {
            attempt(loop, pool, source, attempts, index + 1,
                    new DestinationRefusedException(attempt.host(), attempt.address()), result);
            return;
        }
        RemoteConnection connection =
                new RemoteConnection(attempt.host(), attempt.address(), source, timeouts.backendDataBlock());
        SmtpClientConnection.connect(loop, transport.socketChannelClass(),
                        new InetSocketAddress(attempt.address(), remotePort), new InetSocketAddress(source.address(), 0),
                        connectTimeout, connection)
                .thenCompose(opened -> handshake(opened, pool.config().tls()))
                .whenComplete((ready, error) -> {
                    if (error == null) {
                        result.complete(ready);
                        return;
                    }
                    log.debug("mail exchanger failed, trying the next", kv("mx", connection.toString()),
                            kv("source", source.toString()), kv("error", SmtpClientConnection.rootMessage(error)));
                    attempt(loop, pool, source, attempts, index + 1, error, result);
                });
    }

    private CompletableFuture<RemoteConnection> handshake(RemoteConnection connection, EgressTls tls) {
        return connection.awaitReply(timeouts.backendGreeting())
                .thenCompose(greeting -> connection.expect(greeting, 220, "greeting"))
                .thenCompose(ignored -> ehlo(connection))
                .thenCompose(ignored -> switch (tls) {
                    case NONE -> CompletableFuture.completedFuture(connection);
                    case OPPORTUNISTIC -> connection.capabilities().startTls()
                            ? startTls(connection, false) : CompletableFuture.completedFuture(connection);
                    case REQUIRED -> connection.capabilities().startTls() ? startTls(connection, true)
                            : refuse(connection, "offers no STARTTLS, which the pool requires");
                });
    }

    private CompletableFuture<RemoteConnection> startTls(RemoteConnection connection, boolean verify) {
        SslContext context = verify ? verifiedTls : opportunisticTls;
        return connection.request(Request.STARTTLS, timeouts.backendCommand())
                .thenCompose(reply -> connection.expect(reply, 220, "STARTTLS"))
                .thenCompose(ignored -> connection.startTls(context, connection.host().name(), remotePort, verify))
                .thenCompose(ignored -> {
                    connection.tlsStarted();
                    // RFC 3207 §4.2: forget what was learned before the handshake and ask again.
                    return ehlo(connection);
                });
    }

    private CompletableFuture<RemoteConnection> ehlo(RemoteConnection connection) {
        return connection.request(new Request.Ehlo(connection.source().helo()), timeouts.backendCommand())
                .thenCompose(reply -> connection.expect(reply, 250, "EHLO"))
                .thenApply(reply -> {
                    connection.capabilities(ServerCapabilities.fromEhlo(reply));
                    return connection;
                });
    }

    private static <T> CompletableFuture<T> refuse(RemoteConnection connection, String why) {
        connection.abort();
        return CompletableFuture.failedFuture(new IOException(connection + " " + why));
    }

    /** A connect was about to go to a forbidden destination; it did not. */
    static final class DestinationRefusedException extends IOException {
        DestinationRefusedException(MxHost host, InetAddress address) {
            super(host.name() + "[" + address.getHostAddress() + "] is a forbidden destination");
        }
    }

    /** A delivery was about to leave from an address of another pool than its own; it did not. */
    static final class PoolViolationException extends IOException {
        PoolViolationException(String pool, SourceAddress source) {
            super("source " + source + " is not of pool " + pool);
        }
    }
}
