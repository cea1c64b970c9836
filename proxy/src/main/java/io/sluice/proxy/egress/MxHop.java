package io.sluice.proxy.egress;

import static net.logstash.logback.argument.StructuredArguments.kv;

import io.netty.buffer.ByteBuf;
import io.sluice.config.RuleReply;
import io.sluice.policy.eval.HeldLeases;
import io.sluice.policy.model.Decision;
import io.sluice.proxy.egress.tls.DestinationTls;
import io.sluice.proxy.egress.tls.TlsRequirement.PolicyType;
import io.sluice.proxy.egress.tls.TlsResult;
import io.sluice.proxy.relay.HopConnection;
import io.sluice.proxy.relay.HopSession;
import io.sluice.proxy.relay.NextHop;
import io.sluice.proxy.session.FinishedTransaction;
import io.sluice.proxy.smtp.MailPath;
import io.sluice.proxy.smtp.Request;
import io.sluice.proxy.smtp.ServerCapabilities;
import io.sluice.proxy.smtp.SmtpClientConnection;
import io.sluice.proxy.smtp.SmtpReply;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import java.util.function.Predicate;
import net.logstash.logback.argument.StructuredArgument;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The next hop of an outbound session: the remote mail exchanger of the transaction's recipient domain. Sluice
 * answers the greeting, EHLO and MAIL itself; at the first recipient it resolves the domain's MX, screens out
 * forbidden destinations, learns the TLS the domain's MX hosts are held to (leaving out those a policy in force rules
 * out, {@code 451 4.7.5} where none is left) and chooses a source of the listener's egress pool; at the first
 * admitted recipient it connects from that source and gives the remote the MAIL. From then on the remote's replies
 * are the MTA's. One destination domain per transaction; every failure is a temporary one, so the message stays in
 * the MTA's queue. The destination's site (by its MX hosts) is known from the first recipient on: a connection kept
 * from an earlier transaction from the same source to one of the domain's MX hosts is reset and used where there is
 * one; a new one first takes the slots of the destination-site and source-site rules, shedding connections kept idle
 * to the site where none is free. After the transaction the connection is kept for the next, of any session on the
 * same event loop.
 */
final class MxHop implements NextHop {

    private static final Logger log = LoggerFactory.getLogger(MxHop.class);

    static final SmtpReply RELAYING_DENIED = SmtpReply.of(550, "5.7.1", "Relaying denied");
    static final SmtpReply ADDRESS_LITERAL = SmtpReply.of(550, "5.7.1", "Relaying to address literals denied");
    // RFC 5321 §4.5.3.1.10: 452 makes the client send the rest later, in another transaction.
    static final SmtpReply ONE_DOMAIN = SmtpReply.of(452, "4.5.3",
            "One destination domain per transaction; send this recipient in another");
    // X.4.4: unable to route.
    static final SmtpReply NO_SOURCE = SmtpReply.of(451, "4.4.4",
            "No source address can reach the recipient domain's mail exchangers now; try again later");
    // X.4.1: no answer from host.
    static final SmtpReply UNREACHABLE = SmtpReply.of(451, "4.4.1",
            "No mail exchanger of the recipient domain answered; try again later");
    // X.4.5: system congestion; the receivers of the site asked this pool's sources to pause.
    static final SmtpReply SITE_SUSPENDED = SmtpReply.of(451, "4.4.5",
            "No source of this pool may send to the destination's site now; try again later");
    // X.3.5: system incorrectly configured.
    static final SmtpReply POOL_VIOLATION = SmtpReply.of(451, "4.3.5",
            "Delivery refused: source address of another egress pool; try again later");
    // X.7.5: cryptographic failure (an MTA-STS or DANE policy, or DNSSEC answers that failed validation). Temporary:
    // the MTA retries later, or through its fallback relay.
    static final SmtpReply TLS_POLICY = SmtpReply.of(451, "4.7.5",
            "The recipient domain's TLS policy leaves no mail exchanger to deliver to now; try again later");
    private static final SmtpReply MAIL_ACCEPTED = SmtpReply.of(250, "2.1.0", "Ok");

    private final OutboundContext context;
    private final HopSession session;
    private final HopConnection<RemoteConnection> remote;

    // The transaction: its sender, held until a remote is connected; its one destination and how it is reached.
    private MailPath sender;
    private String domain;
    private MxAnswer.Found mx;
    private DestinationTls tls;
    private SourceAddress source;
    private String site;
    // Why every further recipient of the transaction is refused the same way (DNS or no mail exchanger answered).
    private SmtpReply refusal;
    // For the transaction's log line.
    private String lastRemote = "";
    private String lastRemoteReply = "";

    MxHop(OutboundContext context, HopSession session) {
        this.context = context;
        this.session = session;
        this.remote = new HopConnection<>(session.events());
    }

    /** Nothing to open yet: the destination is known only at the first recipient. */
    @Override
    public CompletableFuture<ServerCapabilities> open() {
        return CompletableFuture.completedFuture(context.offered());
    }

    /** The remote learns our own name, never the client's. */
    @Override
    public CompletableFuture<Introduction> introduce(String helo, boolean esmtp) {
        return CompletableFuture.completedFuture(new Introduction.Answered(context.localEhlo()));
    }

    /** Is the recipient one Sluice relays, and where would it go: resolved, screened and given a source. */
    @Override
    public CompletableFuture<Optional<SmtpReply>> route(String recipient) {
        if (!context.allows(session.client().address().getAddress())) {
            return refused(RELAYING_DENIED);
        }
        int at = recipient.lastIndexOf('@');
        String recipientDomain = at < 0 ? "" : recipient.substring(at + 1).toLowerCase(Locale.ROOT);
        if (recipientDomain.isEmpty() || recipientDomain.startsWith("[")) {
            // A literal (or <postmaster>) names no MX to resolve; relaying there would bypass the pools' routing.
            return refused(ADDRESS_LITERAL);
        }
        if (domain != null && !domain.equals(recipientDomain)) {
            return refused(ONE_DOMAIN);
        }
        if (refusal != null) {
            return refused(refusal);
        }
        if (domain != null) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        domain = recipientDomain;
        EgressPool pool = context.pool();
        return context.resolver().resolve(recipientDomain)
                .thenCompose(answer -> answer instanceof MxAnswer.Found found
                        ? context.tls().forDomain(recipientDomain, pool.name(), pool.config().tls(),
                                found.hosts().stream().map(MxHost::name).toList())
                        .thenApply(policy -> new Routed(answer, policy))
                        : CompletableFuture.completedFuture(new Routed(answer, null)))
                .thenApplyAsync(routed -> Optional.ofNullable(resolved(routed.answer(), routed.tls())),
                        session.loop());
    }

    /** The domain's mail exchangers and, where it has some, the TLS they are held to. */
    private record Routed(MxAnswer answer, DestinationTls tls) {}

    private static CompletableFuture<Optional<SmtpReply>> refused(SmtpReply reply) {
        return CompletableFuture.completedFuture(Optional.of(reply));
    }

    /** Where the transaction goes, or the refusal of every recipient of it. */
    private SmtpReply resolved(MxAnswer answer, DestinationTls policy) {
        if (answer instanceof MxAnswer.Failed failed) {
            log.info("no mail exchanger", kv("session", session.client().sessionId()), kv("destination_domain", domain),
                    kv("dns", failed.failure().tag()), kv("detail", failed.detail()));
            refusal = failed.failure().reply();
            return refusal;
        }
        Optional<MxAnswer.Found> permitted = context.destinations().screen(domain, (MxAnswer.Found) answer);
        if (permitted.isEmpty()) {
            refusal = DestinationScreen.refusal((MxAnswer.Found) answer);
            return refusal;
        }
        mx = permitted.get();
        tls = policy;
        List<MxHost> allowed = tls.permitted(mx.hosts(), MxHost::name);
        if (allowed.isEmpty()) {
            // RFC 8461 §5: no MX host the policy in force names; as early as the first recipient.
            // RFC 7672 §2.1.1: DNSSEC answers that failed validation, or could not be had, leave no host either.
            boolean dnssec = mx.hosts().stream().anyMatch(host -> tls.daneRefused(host.name()));
            PolicyType type = dnssec ? PolicyType.TLSA : tls.policy();
            context.tls().outcomes().count(context.pool().name(), domain, type,
                    dnssec ? TlsResult.DNSSEC_INVALID : TlsResult.MX_NOT_IN_POLICY);
            context.tls().outcomes().refused(context.pool().name(), type);
            log.info("no mail exchanger the tls policy permits", kv("session", session.client().sessionId()),
                    kv("destination_domain", domain), kv("pool", context.pool().name()),
                    kv("tls_policy", type.tag()), kv("dane", tls.dane().values().toString()),
                    kv("mx_hosts", mx.hosts().stream().map(MxHost::name).toList().toString()));
            refusal = TLS_POLICY;
            return refusal;
        }
        if (allowed.size() < mx.hosts().size()) {
            mx = new MxAnswer.Found(allowed, mx.implicit(), mx.incomplete());
        }
        site = context.connector().sites().of(mx);
        Predicate<SourceAddress> reaches = candidate ->
                mx.hosts().stream().anyMatch(host -> host.addresses().stream().anyMatch(candidate::reaches));
        Optional<SourceAddress> chosen = context.pool().select(domain, site, reaches);
        if (chosen.isEmpty()) {
            // Refused at once, no connection made: the MTA's fallback relay takes the message in the same attempt.
            refusal = context.pool().hasSource(reaches) ? SITE_SUSPENDED : NO_SOURCE;
            log.info(refusal == SITE_SUSPENDED ? "destination site suspended for the pool" : "no source",
                    kv("session", session.client().sessionId()), kv("destination_domain", domain), kv("site", site),
                    kv("pool", context.pool().name()));
            return refusal;
        }
        source = chosen.get();
        session.limits().egress(context.pool().name(), source.toString(), site);
        return null;
    }

    @Override
    public CompletableFuture<SmtpReply> forward(Request request) {
        if (request instanceof Request.Mail mail) {
            endTransaction();
            sender = mail.sender();
            return CompletableFuture.completedFuture(MAIL_ACCEPTED);
        }
        if (request instanceof Request.Rcpt rcpt) {
            return deliverRecipient(rcpt.recipient());
        }
        if (request instanceof Request.Data) {
            return remote.get() == null ? lost()
                    : answered(remote.get().request(Request.DATA, context.timeouts().backendDataInit()));
        }
        if (request instanceof Request.Rset) {
            // The session finishes the transaction, logged with its destination, then ended here.
            return CompletableFuture.completedFuture(SmtpReply.OK);
        }
        throw new IllegalArgumentException("not a request for the next hop: " + request);
    }

    /** The admitted recipient goes to the remote, which is connected (and given the MAIL) first if need be. */
    private CompletableFuture<SmtpReply> deliverRecipient(MailPath recipient) {
        if (refusal != null) {
            return CompletableFuture.completedFuture(refusal);
        }
        if (remote.get() != null) {
            return recipient(remote.get(), recipient);
        }
        List<MxHost> hosts = mx.ordered(ThreadLocalRandom.current());
        RemoteConnection kept = context.connector().kept(source, hosts, tls);
        return kept != null ? deliverOnKept(kept, hosts, recipient) : connect(hosts, recipient);
    }

    /**
     * The transaction goes to a connection kept from an earlier one, reset first (RSET, with the MAIL in the same
     * write where the remote pipelines, RFC 2920); on any doubt (no 250, a timeout, a loss) it is dropped and a new
     * connection made instead.
     */
    private CompletableFuture<SmtpReply> deliverOnKept(RemoteConnection kept, List<MxHost> hosts, MailPath recipient) {
        Duration timeout = context.timeouts().backendCommand();
        CompletableFuture<SmtpReply> reset = kept.request(Request.RSET, timeout);
        CompletableFuture<SmtpReply> pipelinedMail = kept.capabilities().pipelining()
                ? kept.request(mailFor(kept), timeout) : null;
        return reset.handle((reply, error) -> {
            if (remote.isClosed()) {
                kept.abort();
                return CompletableFuture.<SmtpReply>failedFuture(new IOException("the session closed"));
            }
            if (error != null || reply.code() != 250) {
                log.debug("kept connection dropped", kv("session", session.client().sessionId()),
                        kv("mx", kept.toString()), kv("reset", error != null
                                ? SmtpClientConnection.rootMessage(error) : reply.toString()));
                kept.abort();
                return connect(hosts, recipient);
            }
            remote.adopt(kept);
            lastRemote = kept.toString();
            CompletableFuture<SmtpReply> mail = pipelinedMail != null ? pipelinedMail
                    : kept.request(mailFor(kept), timeout);
            return answered(mail).thenCompose(answer -> senderAnswered(kept, recipient, answer));
        }).thenCompose(Function.identity());
    }

    /**
     * A new connection to the destination, once the destination-site and source-site rules give it their slots
     * (held until it closes, kept idle or not); refused with the rule's reply otherwise.
     */
    private CompletableFuture<SmtpReply> connect(List<MxHost> hosts, MailPath recipient) {
        return slots(true).thenCompose(slots -> slots == null ? CompletableFuture.completedFuture(refusal)
                : opened(context.connector().open(session.loop(), context.pool(), source, hosts, tls, site,
                        slots), recipient));
    }

    /**
     * The slots of the destination-site and source-site rules for a new connection, or null (and the refusal set)
     * when a rule has none free. Connections kept idle to the site hold slots too, and each is reachable only from
     * the event loop it is kept on; where there are some, they are shed (every loop closes its own) and the slots
     * asked for once more, so that a delivery is not refused for slots this node's idle connections hold. Once: a
     * slot freed so may go to another session first, and then this one is refused as before.
     */
    private CompletableFuture<HeldLeases> slots(boolean mayShed) {
        HeldLeases slots = new HeldLeases();
        CompletableFuture<Decision> asked = session.limits().remote(slots);
        // A cluster answers on its own thread; the connection is made and adopted on the session's loop.
        return (asked.isDone() ? asked : asked.thenApplyAsync(decision -> decision, session.loop()))
                .thenCompose(decision -> {
                    if (decision.admitted()) {
                        return CompletableFuture.completedFuture(slots);
                    }
                    slots.release();
                    if (mayShed) {
                        String busy = site;
                        return context.connector().shed(session.loop(), busy).thenComposeAsync(shed -> {
                            if (shed == 0) {
                                return CompletableFuture.completedFuture(busy(decision));
                            }
                            log.debug("idle connections shed for a slot", kv("session", session.client().sessionId()),
                                    kv("site", busy), kv("connections", shed));
                            return slots(false);
                        }, session.loop());
                    }
                    return CompletableFuture.completedFuture(busy(decision));
                });
    }

    /** The transaction gets the rule's refusal at every recipient; null, for {@link #slots}. */
    private HeldLeases busy(Decision decision) {
        RuleReply reply = decision.reply();
        refusal = SmtpReply.of(reply.code(), reply.enhancedCode(), reply.text());
        log.info("destination site busy", kv("session", session.client().sessionId()),
                kv("destination_domain", domain), kv("site", site), kv("pool", context.pool().name()),
                kv("source", source.toString()), kv("rule", decision.rule().orElse("")));
        return null;
    }

    private CompletableFuture<SmtpReply> opened(CompletableFuture<RemoteConnection> opening, MailPath recipient) {
        return opening
                .handle((connection, error) -> {
                    if (remote.isClosed()) {
                        if (connection != null) {
                            context.connector().release(connection);
                        }
                        return CompletableFuture.<SmtpReply>failedFuture(new IOException("the session closed"));
                    }
                    if (error != null) {
                        Throwable cause = error instanceof CompletionException && error.getCause() != null
                                ? error.getCause() : error;
                        refusal = cause instanceof RemoteConnector.PoolViolationException ? POOL_VIOLATION
                                : cause instanceof RemoteConnector.DestinationRefusedException
                                ? DestinationScreen.FORBIDDEN
                                : cause instanceof RemoteConnector.TlsPolicyException ? TLS_POLICY : UNREACHABLE;
                        log.info("no mail exchanger reachable", kv("session", session.client().sessionId()),
                                kv("destination_domain", domain), kv("pool", context.pool().name()),
                                kv("source", source.toString()), kv("error", SmtpClientConnection.rootMessage(error)));
                        return CompletableFuture.completedFuture(refusal);
                    }
                    remote.adopt(connection);
                    lastRemote = connection.toString();
                    return answered(connection.request(mailFor(connection), context.timeouts().backendCommand()))
                            .thenCompose(reply -> senderAnswered(connection, recipient, reply));
                })
                .thenCompose(Function.identity());
    }

    private Request.Mail mailFor(RemoteConnection connection) {
        return new Request.Mail(RemoteCommands.sender(sender, connection.capabilities()));
    }

    private CompletableFuture<SmtpReply> senderAnswered(RemoteConnection connection, MailPath recipient,
                                                        SmtpReply reply) {
        if (connection != remote.get()) {
            return lost();
        }
        if (!reply.isPositive()) {
            // The remote refuses the sender: every recipient of this transaction gets its answer.
            refusal = reply;
            remote.drop();
            return CompletableFuture.completedFuture(reply);
        }
        return recipient(connection, recipient);
    }

    private CompletableFuture<SmtpReply> recipient(RemoteConnection connection, MailPath recipient) {
        return answered(connection.request(new Request.Rcpt(RemoteCommands.recipient(recipient,
                connection.capabilities())), context.timeouts().backendCommand()));
    }

    @Override
    public void writeContent(ByteBuf content) {
        remote.writeContent(content);
    }

    @Override
    public void flush() {
        remote.flush();
    }

    @Override
    public CompletableFuture<SmtpReply> endData() {
        return remote.get() == null ? lost()
                : answered(remote.get().endData(context.timeouts().backendDataTermination()));
    }

    @Override
    public void abandon() {
        remote.drop();
    }

    @Override
    public List<StructuredArgument> logFields() {
        return List.of(kv("destination_domain", domain == null ? "" : domain), kv("site", site == null ? "" : site),
                kv("pool", context.pool().name()),
                kv("source", source == null ? "" : source.toString()), kv("mx_host", lastRemote),
                kv("remote_reply", lastRemoteReply));
    }

    @Override
    public void transactionFinished(FinishedTransaction transaction) {
        context.meters().delivered(context.pool().name(), source == null ? "" : source.toString(), transaction);
        endTransaction();
        lastRemote = "";
        lastRemoteReply = "";
    }

    /** The session is over: its connection is kept for another session's transaction to the site, where it may be. */
    @Override
    public void close() {
        RemoteConnection last = remote.close();
        if (last != null) {
            context.connector().release(last);
        }
    }

    /**
     * The remote's reply as the MTA gets it: a remote's 421 closes the remote's connection, not ours, so the MTA gets
     * a 451 and the session goes on. A lost remote is logged and dropped. Every reply of the remote passes here,
     * with the transaction's source and site known.
     */
    private CompletableFuture<SmtpReply> answered(CompletableFuture<SmtpReply> reply) {
        return reply.handle((answer, error) -> {
            if (error != null) {
                log.info("remote lost", kv("session", session.client().sessionId()), kv("mx", lastRemote),
                        kv("error", SmtpClientConnection.rootMessage(error)));
                remote.drop();
                return CompletableFuture.<SmtpReply>failedFuture(error);
            }
            lastRemoteReply = answer.toString();
            context.connector().feedback().heard(context.pool(), source, site, answer);
            return CompletableFuture.completedFuture(answer.code() == 421 ? new SmtpReply(451, answer.lines()) : answer);
        }).thenCompose(Function.identity());
    }

    private static CompletableFuture<SmtpReply> lost() {
        return CompletableFuture.failedFuture(new IOException("no remote connection"));
    }

    /**
     * The transaction is over: the remote's connection is kept for the next transaction to its site where its state
     * is clean (or gets its QUIT), and the next transaction starts afresh.
     */
    private void endTransaction() {
        RemoteConnection done = remote.detach();
        if (done != null) {
            context.connector().release(done);
        }
        sender = null;
        domain = null;
        mx = null;
        tls = null;
        source = null;
        site = null;
        refusal = null;
    }
}
