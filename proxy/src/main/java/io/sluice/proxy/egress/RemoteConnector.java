package io.sluice.proxy.egress;

import static net.logstash.logback.argument.StructuredArguments.kv;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.EventLoop;
import io.netty.handler.ssl.SslContext;
import io.sluice.config.ConnectionReuseConfig;
import io.sluice.config.SmtpTimeouts;
import io.sluice.policy.eval.HeldLeases;
import io.sluice.proxy.Transport;
import io.sluice.proxy.egress.tls.DanePolicy;
import io.sluice.proxy.egress.tls.DestinationTls;
import io.sluice.proxy.egress.tls.TlsOutcomes;
import io.sluice.proxy.egress.tls.TlsRequirement;
import io.sluice.proxy.egress.tls.TlsResult;
import io.sluice.proxy.egress.tls.TlsTrust;
import io.sluice.proxy.egress.tls.TlsaMatcher.TlsaMatch;
import io.sluice.proxy.relay.IdleConnections;
import io.sluice.proxy.smtp.Request;
import io.sluice.proxy.smtp.ServerCapabilities;
import io.sluice.proxy.smtp.SmtpReply;
import io.sluice.proxy.smtp.SmtpClientConnection;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens a ready connection to a destination's mail exchanger: tries the hosts in the order given and each host's
 * addresses of the source's family, binding the source address and never connecting to a forbidden destination,
 * then reads the greeting, says EHLO with the source's name and upgrades with STARTTLS as the destination's TLS
 * requirement for the host says (the pool's mode, or a policy the destination publishes), checking the certificate
 * after the handshake where it asks for that and counting each connection's outcome. Keeps
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
    private final TlsTrust trust;
    private final TlsOutcomes outcomes;
    private final IdleConnections<RemoteConnection.Key, RemoteConnection> idle;
    private final DestinationSites sites;
    private final MeterRegistry registry;
    private final ReceiverFeedback feedback;
    private final DanePolicy dane;
    private final Map<String, Counter> opened = new ConcurrentHashMap<>();
    private final Map<String, Counter> reused = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> open = new ConcurrentHashMap<>();

    RemoteConnector(EgressPools pools, DestinationScreen destinations, Transport transport, SmtpTimeouts timeouts,
                    Duration connectTimeout, int remotePort, SslContext opportunisticTls, TlsTrust trust,
                    TlsOutcomes outcomes, ConnectionReuseConfig reuse, DestinationSites sites,
                    MeterRegistry registry) {
        this(pools, destinations, transport, timeouts, connectTimeout, remotePort, opportunisticTls, trust, outcomes,
                reuse, sites, ReceiverFeedback.NONE, null, registry);
    }

    /**
     * @param dane checks the hosts DANE binds (a {@link TlsRequirement.Dane}); null where DANE is off, and no
     *     requirement is then of DANE
     */
    RemoteConnector(EgressPools pools, DestinationScreen destinations, Transport transport, SmtpTimeouts timeouts,
                    Duration connectTimeout, int remotePort, SslContext opportunisticTls, TlsTrust trust,
                    TlsOutcomes outcomes, ConnectionReuseConfig reuse, DestinationSites sites,
                    ReceiverFeedback feedback, DanePolicy dane, MeterRegistry registry) {
        this.feedback = feedback;
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
        this.trust = trust;
        this.outcomes = outcomes;
        // Every site's series from the start, so that a rate over them is defined before the first delivery.
        for (String tag : sites.tags()) {
            counter(opened, "sluice.egress.connections.opened", "opened", tag);
            counter(reused, "sluice.egress.connections.reused", "reused for another transaction", tag);
            openTo(tag);
        }
    }

    /** What the remotes' replies make Sluice do. */
    ReceiverFeedback feedback() {
        return feedback;
    }

    /** The destination sites by MX host suffix. */
    DestinationSites sites() {
        return sites;
    }

    /**
     * A connection kept on the calling event loop from {@code source} to one of the hosts (the first of them with
     * one), which the destination's TLS requirement for its host accepts still and the destination screen permits;
     * or null. The caller resets it (RSET) before its transaction, and drops it on any doubt.
     */
    RemoteConnection kept(SourceAddress source, List<MxHost> hosts, DestinationTls tls) {
        if (!idle.config().enabled()) {
            return null;
        }
        for (MxHost host : hosts) {
            Optional<TlsRequirement> requirement = tls.forHost(host.name());
            if (requirement.isEmpty()) {
                continue;
            }
            RemoteConnection connection = idle.take(new RemoteConnection.Key(source, host.name()),
                    candidate -> acceptable(candidate, requirement.get())
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
     * Whether a connection made before meets the TLS asked of a delivery now: a destination's policy may have come
     * into force (or changed) since the connection was made for another domain with the same MX host.
     */
    static boolean acceptable(RemoteConnection connection, TlsRequirement requirement) {
        if (requirement instanceof TlsRequirement.Plain) {
            return true;
        }
        if (requirement instanceof TlsRequirement.Dane) {
            // Encrypted, or even verified by the authorities, before DANE bound the host is not enough.
            return connection.dane();
        }
        if (requirement instanceof TlsRequirement.NameChecked checked && checked.enforced()) {
            return connection.tls() && connection.verified();
        }
        return connection.tls() || !connection.capabilities().startTls();
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

    /** The count of connections open to the site now, by its meter tag. */
    private AtomicInteger openTo(String site) {
        return open.computeIfAbsent(sites.tag(site), tag -> {
            AtomicInteger count = new AtomicInteger();
            Gauge.builder("sluice.egress.connections.open", count, AtomicInteger::get).tag("site", tag)
                    .description("Connections to remote mail exchangers open now, kept idle ones included, by"
                            + " destination site")
                    .register(registry);
            return count;
        });
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
                                             List<MxHost> hosts, DestinationTls tls, String site, HeldLeases slots) {
        // The invariant, checked where it matters: right before the socket binds the source.
        if (!pools.mayBind(pool.name(), source)) {
            log.error("refused to bind a source of another pool", kv("pool", pool.name()), kv("source", source));
            slots.release();
            return CompletableFuture.failedFuture(new PoolViolationException(pool.name(), source));
        }
        List<Attempt> attempts = new ArrayList<>();
        for (MxHost host : hosts) {
            Optional<TlsRequirement> requirement = tls.forHost(host.name());
            for (InetAddress address : host.addresses()) {
                if (requirement.isPresent() && source.reaches(address) && attempts.size() < MAX_ATTEMPTS) {
                    attempts.add(new Attempt(host, address, requirement.get()));
                }
            }
        }
        CompletableFuture<RemoteConnection> result = new CompletableFuture<>();
        attempt(loop, new Delivery(pool, source, site, tls.domain()), attempts, 0, null, result);
        return result.whenComplete((connection, error) -> {
            if (error != null) {
                slots.release();
                return;
            }
            connection.countUse();
            AtomicInteger openToSite = openTo(site);
            openToSite.incrementAndGet();
            connection.closeFuture().addListener(closed -> {
                openToSite.decrementAndGet();
                slots.release();
            });
            counter(opened, "sluice.egress.connections.opened", "opened", site).increment();
        });
    }

    private record Attempt(MxHost host, InetAddress address, TlsRequirement tls) {}

    /** What the attempts of one connection share. */
    private record Delivery(EgressPool pool, SourceAddress source, String site, String domain) {}

    private void attempt(EventLoop loop, Delivery delivery, List<Attempt> attempts, int index, Throwable lastError,
                         CompletableFuture<RemoteConnection> result) {
        SourceAddress source = delivery.source();
        if (index == attempts.size()) {
            result.completeExceptionally(lastError != null ? lastError
                    : new IOException("no mail exchanger address reachable from " + source));
            return;
        }
        Attempt attempt = attempts.get(index);
        // A policy's refusal outweighs a later host's silence: the MTA learns that TLS was the reason.
        Throwable reason = lastError instanceof TlsPolicyException ? lastError : null;
        // The invariant, checked where it matters: right before the connect, whatever list of hosts came in.
        if (!destinations.permits(attempt.host(), attempt.address())) {
            attempt(loop, delivery, attempts, index + 1, reason != null ? reason
                    : new DestinationRefusedException(attempt.host(), attempt.address()), result);
            return;
        }
        String site = delivery.site();
        RemoteConnection connection =
                new RemoteConnection(attempt.host(), attempt.address(), source, site, timeouts.backendDataBlock());
        SmtpClientConnection.connect(loop, transport.socketChannelClass(),
                        new InetSocketAddress(attempt.address(), remotePort), new InetSocketAddress(source.address(), 0),
                        connectTimeout, connection)
                .thenCompose(opened -> handshake(opened, attempt.tls(), delivery))
                .whenComplete((ready, error) -> {
                    if (error == null) {
                        result.complete(ready);
                        return;
                    }
                    log.debug("mail exchanger failed, trying the next", kv("mx", connection.toString()),
                            kv("source", source.toString()), kv("error", SmtpClientConnection.rootMessage(error)));
                    Throwable cause = error instanceof CompletionException && error.getCause() != null
                            ? error.getCause() : error;
                    attempt(loop, delivery, attempts, index + 1,
                            reason != null && !(cause instanceof TlsPolicyException) ? reason : cause, result);
                });
    }

    private CompletableFuture<RemoteConnection> handshake(RemoteConnection connection, TlsRequirement tls,
                                                          Delivery delivery) {
        return connection.awaitReply(timeouts.backendGreeting())
                .thenCompose(greeting -> connection.expect(heard(delivery.pool(), connection, greeting), 220,
                        "greeting"))
                .thenCompose(ignored -> ehlo(delivery.pool(), connection))
                .thenCompose(ignored -> {
                    if (tls instanceof TlsRequirement.Dane bound) {
                        return dane(connection, bound, delivery);
                    }
                    if (tls instanceof TlsRequirement.NameChecked checked) {
                        return checked(connection, checked, delivery);
                    }
                    return tls instanceof TlsRequirement.Opportunistic && connection.capabilities().startTls()
                            ? startTls(delivery.pool(), connection, null)
                                    .thenCompose(done -> counted(done, tls, delivery))
                            : counted(connection, tls, delivery);
                });
    }

    private CompletableFuture<RemoteConnection> counted(RemoteConnection connection, TlsRequirement tls,
                                                        Delivery delivery) {
        outcomes.count(delivery.pool().name(), delivery.domain(), tls.policy(), TlsResult.SUCCESS);
        return CompletableFuture.completedFuture(connection);
    }

    /**
     * STARTTLS, and the certificate checked for the MX host's name against the trusted authorities (RFC 8461 §4.2,
     * and the pool's {@code required}) once the handshake is over, before the EHLO that follows it; the check's one
     * outcome counted. Where the requirement is not enforced (MTA-STS {@code testing}) a failure is counted and the
     * connection used all the same. A refused STARTTLS, or a remote that goes away after a good handshake, is
     * unreachable as any other: no failure of the policy.
     */
    private CompletableFuture<RemoteConnection> checked(RemoteConnection connection, TlsRequirement.NameChecked tls,
                                                        Delivery delivery) {
        String pool = delivery.pool().name();
        if (!connection.capabilities().startTls()) {
            counted(connection, delivery, tls.policy(),
                    tls.listed() ? TlsResult.STARTTLS_NOT_SUPPORTED : TlsResult.MX_NOT_IN_POLICY);
            return tls.enforced() ? refuse(connection, tls, TlsResult.STARTTLS_NOT_SUPPORTED, delivery)
                    : CompletableFuture.completedFuture(connection);
        }
        return startTls(delivery.pool(), connection, remote -> {
            TlsResult result = trust.check(remote.peerCertificates(), remote.host().name());
            remote.verifiedAs(result == TlsResult.SUCCESS);
            counted(remote, delivery, tls.policy(), !tls.listed() ? TlsResult.MX_NOT_IN_POLICY : result);
            if (result != TlsResult.SUCCESS && tls.enforced()) {
                remote.abort();
                return policyRefusal(remote, tls, result, delivery);
            }
            return null;
        });
    }

    /**
     * RFC 7672 §2.2: secure TLSA records make STARTTLS mandatory whatever the pool's mode, and the chain is checked
     * against them (not against public authorities) once the handshake is over, before anything else is sent; a
     * failure is always enforced.
     */
    private CompletableFuture<RemoteConnection> dane(RemoteConnection connection, TlsRequirement.Dane tls,
                                                     Delivery delivery) {
        String pool = delivery.pool().name();
        if (!connection.capabilities().startTls()) {
            dane.noStartTls(pool);
            counted(connection, delivery, tls.policy(), TlsResult.STARTTLS_NOT_SUPPORTED);
            return refuse(connection, tls, TlsResult.STARTTLS_NOT_SUPPORTED, delivery);
        }
        return startTls(delivery.pool(), connection, remote -> {
            TlsaMatch match = dane.check(pool, tls.verdict(), remote.peerCertificates(), remote.host().name());
            counted(remote, delivery, tls.policy(), match.matched() ? TlsResult.SUCCESS : TlsResult.TLSA_INVALID);
            if (!match.matched()) {
                remote.abort();
                return policyRefusal(remote, tls, TlsResult.TLSA_INVALID, delivery, match.detail());
            }
            remote.daneVerified();
            return null;
        });
    }

    /** A connection's outcome, counted with where it happened for the TLS reports' failure details. */
    private void counted(RemoteConnection connection, Delivery delivery, TlsRequirement.PolicyType policy,
                         TlsResult result) {
        outcomes.count(delivery.pool().name(), delivery.domain(), policy, result, connection.host().name(),
                connection.address(), connection.source().address());
    }

    /** The reply, once the feedback rules had a look at it. */
    private SmtpReply heard(EgressPool pool, RemoteConnection connection, SmtpReply reply) {
        feedback.heard(pool, connection.source(), connection.site(), reply);
        return reply;
    }

    /**
     * STARTTLS without a check of the certificate during the handshake: what it is worth is for the caller to
     * judge after it, as the requirement says.
     *
     * @param check run once the handshake is over, before the EHLO that follows it: null to go on, or why the
     *     connection was dropped; null for no check
     */
    private CompletableFuture<RemoteConnection> startTls(EgressPool pool, RemoteConnection connection,
                                                         Function<RemoteConnection, IOException> check) {
        return connection.request(Request.STARTTLS, timeouts.backendCommand())
                .thenCompose(reply -> connection.expect(reply, 220, "STARTTLS"))
                .thenCompose(ignored -> connection.startTls(opportunisticTls, connection.host().name(), remotePort))
                .thenCompose(ignored -> {
                    IOException refused = check == null ? null : check.apply(connection);
                    if (refused != null) {
                        return CompletableFuture.failedFuture(refused);
                    }
                    connection.tlsStarted();
                    // RFC 3207 §4.2: forget what was learned before the handshake and ask again.
                    return ehlo(pool, connection);
                });
    }

    private <T> CompletableFuture<T> refuse(RemoteConnection connection, TlsRequirement tls, TlsResult result,
                                            Delivery delivery) {
        connection.abort();
        return CompletableFuture.failedFuture(policyRefusal(connection, tls, result, delivery, result.tag()));
    }

    private IOException policyRefusal(RemoteConnection connection, TlsRequirement tls, TlsResult result,
                                      Delivery delivery) {
        return policyRefusal(connection, tls, result, delivery, result.tag());
    }

    private IOException policyRefusal(RemoteConnection connection, TlsRequirement tls, TlsResult result,
                                      Delivery delivery, String detail) {
        if (tls.policy() == TlsRequirement.PolicyType.NONE) {
            // The pool's own requirement: the remote is unusable to this pool, as an unreachable one is.
            return new IOException(connection + " failed the TLS the pool requires: " + detail);
        }
        outcomes.refused(delivery.pool().name(), tls.policy());
        return new TlsPolicyException(connection + " failed the " + tls.policy().tag() + " policy of "
                + delivery.domain() + ": " + detail);
    }

    private CompletableFuture<RemoteConnection> ehlo(EgressPool pool, RemoteConnection connection) {
        return connection.request(new Request.Ehlo(connection.source().helo()), timeouts.backendCommand())
                .thenCompose(reply -> connection.expect(heard(pool, connection, reply), 250, "EHLO"))
                .thenApply(reply -> {
                    connection.capabilities(ServerCapabilities.fromEhlo(reply));
                    return connection;
                });
    }

    /** A mail exchanger failed the TLS that the destination's policy (MTA-STS, DANE) requires of it. */
    static final class TlsPolicyException extends IOException {
        TlsPolicyException(String message) {
            super(message);
        }
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
