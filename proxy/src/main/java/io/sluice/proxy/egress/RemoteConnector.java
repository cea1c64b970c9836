package io.sluice.proxy.egress;

import static net.logstash.logback.argument.StructuredArguments.kv;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.EventLoop;
import io.netty.handler.ssl.SslContext;
import io.sluice.config.ConnectionReuseConfig;
import io.sluice.config.EgressTls;
import io.sluice.config.SmtpTimeouts;
import io.sluice.policy.eval.HeldLeases;
import io.sluice.proxy.Transport;
import io.sluice.proxy.egress.tls.DaneFailure;
import io.sluice.proxy.egress.tls.DanePolicy;
import io.sluice.proxy.egress.tls.DaneVerdict;
import io.sluice.proxy.egress.tls.TlsaMatcher.TlsaMatch;
import io.sluice.proxy.relay.IdleConnections;
import io.sluice.proxy.smtp.Request;
import io.sluice.proxy.smtp.ServerCapabilities;
import io.sluice.proxy.smtp.SmtpClientConnection;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens a ready connection to a destination's mail exchanger: tries the hosts in the order given and each host's
 * addresses of the source's family, binding the source address and never connecting to a forbidden destination,
 * then reads the greeting, says EHLO with the source's name and upgrades with STARTTLS as the pool says. Keeps
 * connections between transactions (per source address and MX host, on each event loop), as Postfix's connection
 * cache does, and counts per site the connections opened and reused.
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
    private final IdleConnections<RemoteConnection.Key, RemoteConnection> idle;
    private final DestinationSites sites;
    private final MeterRegistry registry;
    private final DanePolicy dane;
    private final Map<String, Counter> opened = new ConcurrentHashMap<>();
    private final Map<String, Counter> reused = new ConcurrentHashMap<>();

    RemoteConnector(EgressPools pools, DestinationScreen destinations, Transport transport, SmtpTimeouts timeouts,
                    Duration connectTimeout, int remotePort, SslContext opportunisticTls, SslContext verifiedTls,
                    ConnectionReuseConfig reuse, DestinationSites sites, MeterRegistry registry) {
        this(pools, destinations, transport, timeouts, connectTimeout, remotePort, opportunisticTls, verifiedTls, reuse,
                sites, registry, null);
    }

    /** The same, checking the hosts that DANE binds by {@code dane}'s verdicts; null for no DANE at all. */
    RemoteConnector(EgressPools pools, DestinationScreen destinations, Transport transport, SmtpTimeouts timeouts,
                    Duration connectTimeout, int remotePort, SslContext opportunisticTls, SslContext verifiedTls,
                    ConnectionReuseConfig reuse, DestinationSites sites, MeterRegistry registry, DanePolicy dane) {
        this.dane = dane;
        this.idle = new IdleConnections<>(reuse, timeouts.backendCommand());
        this.sites = sites;
        this.registry = registry;
        this.pools = pools;
        this.destinations = destinations;
        this.transport = transport;
        this.timeouts = timeouts;
        this.connectTimeout = connectTimeout;
        this.remotePort = remotePort;
        this.opportunisticTls = opportunisticTls;
        this.verifiedTls = verifiedTls;
        // Every site's series from the start, so that a rate over them is defined before the first delivery.
        for (String tag : sites.tags()) {
            counter(opened, "sluice.egress.connections.opened", "opened", tag);
            counter(reused, "sluice.egress.connections.reused", "reused for another transaction", tag);
        }
    }

    /** The destination sites by MX host suffix. */
    DestinationSites sites() {
        return sites;
    }

    /** DANE's verdicts on a destination's MX hosts, by host name; none when DANE is off or the pool uses no TLS. */
    CompletableFuture<Map<String, DaneVerdict>> dane(EgressPool pool, String domain, List<MxHost> hosts) {
        if (dane == null) {
            return CompletableFuture.completedFuture(Map.of());
        }
        return dane.assess(pool.name(), pool.config().tls(), domain, hosts.stream().map(MxHost::name).toList());
    }

    /**
     * A connection kept on the calling event loop from {@code source} to one of the hosts (the first of them with
     * one), which the pool's TLS setting accepts still and the destination screen permits; or null. The caller
     * resets it (RSET) before its transaction, and drops it on any doubt.
     */
    RemoteConnection kept(EgressPool pool, SourceAddress source, List<MxHost> hosts, Map<String, DaneVerdict> dane) {
        if (!idle.config().enabled()) {
            return null;
        }
        for (MxHost host : hosts) {
            DaneVerdict verdict = dane.get(host.name());
            RemoteConnection connection = idle.take(new RemoteConnection.Key(source, host.name()),
                    candidate -> acceptable(candidate, pool.config().tls(), verdict)
                            && destinations.permits(candidate.host(), candidate.address()));
            if (connection != null) {
                counter(reused, "sluice.egress.connections.reused", "reused for another transaction",
                        connection.site()).increment();
                return connection;
            }
        }
        return null;
    }

    /**
     * Whether a connection made before meets the TLS the pool asks of a delivery now. A source belongs to one pool
     * and a pool's TLS setting is fixed at start, so today this only repeats the handshake's own rule; it holds
     * should either change while connections are kept.
     */
    static boolean acceptable(RemoteConnection connection, EgressTls tls) {
        return acceptable(connection, tls, null);
    }

    /** The same, where DANE's verdict on the host binds it: then only a connection that passed DANE's check. */
    static boolean acceptable(RemoteConnection connection, EgressTls tls, DaneVerdict dane) {
        if (dane instanceof DaneVerdict.Applies && tls != EgressTls.NONE) {
            return connection.dane();
        }
        return switch (tls) {
            case NONE -> true;
            case OPPORTUNISTIC -> connection.tls() || !connection.capabilities().startTls();
            case REQUIRED -> connection.tls() && connection.verified();
        };
    }

    /**
     * Says goodbye to every connection kept idle to the site, on every event loop of {@code loop}'s group (each loop
     * closes its own), so that the slots they hold go to a new connection that needs one; completes once they are
     * closed, with how many there were.
     */
    CompletableFuture<Integer> shed(EventLoop loop, String site) {
        if (!idle.config().enabled()) {
            return CompletableFuture.completedFuture(0);
        }
        return idle.shedEverywhere(loop.parent(), connection -> connection.site().equals(site));
    }

    /** The transaction is over: the connection is kept for the next one to its site, or told goodbye. */
    void release(RemoteConnection connection) {
        idle.offer(connection.key(), connection);
    }

    private Counter counter(Map<String, Counter> counters, String name, String what, String site) {
        return counters.computeIfAbsent(sites.tag(site), tag -> Counter.builder(name).tag("site", tag)
                .description("Connections to remote mail exchangers " + what + ", by destination site")
                .register(registry));
    }

    /**
     * A greeted connection to one of the hosts, from {@code source} of the pool, to {@code site}, holding
     * {@code slots} (the destination-site and source-site rules') until it closes; fails with the last host's
     * reason when none answers as it should, or at once if the source is not the pool's.
     */
    CompletableFuture<RemoteConnection> open(EventLoop loop, EgressPool pool, SourceAddress source,
                                             List<MxHost> hosts, String site, HeldLeases slots) {
        return open(loop, pool, source, hosts, site, slots, Map.of());
    }

    /** The same, holding the hosts DANE binds to their TLSA records: {@code dane} by host name. */
    CompletableFuture<RemoteConnection> open(EventLoop loop, EgressPool pool, SourceAddress source,
                                             List<MxHost> hosts, String site, HeldLeases slots,
                                             Map<String, DaneVerdict> dane) {
        // The invariant, checked where it matters: right before the socket binds the source.
        if (!pools.mayBind(pool.name(), source)) {
            log.error("refused to bind a source of another pool", kv("pool", pool.name()), kv("source", source));
            slots.release();
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
        attempt(loop, pool, source, site, attempts, 0, null, result, dane);
        return result.whenComplete((connection, error) -> {
            if (error != null) {
                slots.release();
                return;
            }
            connection.countUse();
            connection.closeFuture().addListener(closed -> slots.release());
            counter(opened, "sluice.egress.connections.opened", "opened", site).increment();
        });
    }

    private record Attempt(MxHost host, InetAddress address) {}

    private void attempt(EventLoop loop, EgressPool pool, SourceAddress source, String site, List<Attempt> attempts,
                         int index, Throwable lastError, CompletableFuture<RemoteConnection> result,
                         Map<String, DaneVerdict> dane) {
        if (index == attempts.size()) {
            result.completeExceptionally(lastError != null ? lastError
                    : new IOException("no mail exchanger address reachable from " + source));
            return;
        }
        Attempt attempt = attempts.get(index);
        // The invariant, checked where it matters: right before the connect, whatever list of hosts came in.
        if (!destinations.permits(attempt.host(), attempt.address())) {
            attempt(loop, pool, source, site, attempts, index + 1,
                    new DestinationRefusedException(attempt.host(), attempt.address()), result, dane);
            return;
        }
        RemoteConnection connection =
                new RemoteConnection(attempt.host(), attempt.address(), source, site, timeouts.backendDataBlock());
        SmtpClientConnection.connect(loop, transport.socketChannelClass(),
                        new InetSocketAddress(attempt.address(), remotePort), new InetSocketAddress(source.address(), 0),
                        connectTimeout, connection)
                .thenCompose(opened -> handshake(opened, pool, dane.get(attempt.host().name())))
                .whenComplete((ready, error) -> {
                    if (error == null) {
                        result.complete(ready);
                        return;
                    }
                    log.debug("mail exchanger failed, trying the next", kv("mx", connection.toString()),
                            kv("source", source.toString()), kv("error", SmtpClientConnection.rootMessage(error)));
                    attempt(loop, pool, source, site, attempts, index + 1, error, result, dane);
                });
    }

    private CompletableFuture<RemoteConnection> handshake(RemoteConnection connection, EgressPool pool,
                                                         DaneVerdict verdict) {
        EgressTls tls = pool.config().tls();
        return connection.awaitReply(timeouts.backendGreeting())
                .thenCompose(greeting -> connection.expect(greeting, 220, "greeting"))
                .thenCompose(ignored -> ehlo(connection))
                .thenCompose(ignored -> verdict instanceof DaneVerdict.Applies applies && tls != EgressTls.NONE
                        ? daneTls(connection, pool.name(), applies)
                        : switch (tls) {
                            case NONE -> CompletableFuture.completedFuture(connection);
                            case OPPORTUNISTIC -> connection.capabilities().startTls()
                                    ? startTls(connection, false, null) : CompletableFuture.completedFuture(connection);
                            case REQUIRED -> connection.capabilities().startTls() ? startTls(connection, true, null)
                                    : refuse(connection, "offers no STARTTLS, which the pool requires");
                        });
    }

    /**
     * RFC 7672 §2.2: secure TLSA records make STARTTLS mandatory whatever the pool's mode, and the chain is checked
     * against them (not against public authorities) once the handshake is over, before anything else is sent.
     */
    private CompletableFuture<RemoteConnection> daneTls(RemoteConnection connection, String pool,
                                                        DaneVerdict.Applies applies) {
        if (!connection.capabilities().startTls()) {
            dane.noStartTls(pool);
            connection.abort();
            return CompletableFuture.failedFuture(
                    new DaneFailure(connection + " offers no STARTTLS, which its TLSA records require"));
        }
        return startTls(connection, false, remote -> {
            TlsaMatch match = dane.check(pool, applies, remote.peerChain(), remote.host().name());
            if (!match.matched()) {
                remote.abort();
                return new DaneFailure(remote + ": " + match.detail());
            }
            remote.daneVerified();
            return null;
        });
    }

    /**
     * @param check run once the handshake is over, before EHLO: null to go on, or why the connection was dropped;
     *     null for no check
     */
    private CompletableFuture<RemoteConnection> startTls(RemoteConnection connection, boolean verify,
                                                         Function<RemoteConnection, IOException> check) {
        SslContext context = verify ? verifiedTls : opportunisticTls;
        return connection.request(Request.STARTTLS, timeouts.backendCommand())
                .thenCompose(reply -> connection.expect(reply, 220, "STARTTLS"))
                .thenCompose(ignored -> connection.startTls(context, connection.host().name(), remotePort, verify))
                .thenCompose(ignored -> {
                    IOException refused = check == null ? null : check.apply(connection);
                    if (refused != null) {
                        return CompletableFuture.failedFuture(refused);
                    }
                    connection.tlsStarted(verify);
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
