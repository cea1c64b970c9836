package io.sluice.proxy.egress;

import static net.logstash.logback.argument.StructuredArguments.kv;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.sluice.policy.eval.SessionLimits;
import io.sluice.policy.model.Decision;
import io.sluice.proxy.lifecycle.ClientSessions;
import io.sluice.proxy.session.ClientFrames;
import io.sluice.proxy.session.ClientInfo;
import io.sluice.proxy.session.PolicyAnswers;
import io.sluice.proxy.session.SmtpSession;
import io.sluice.proxy.session.Step;
import io.sluice.proxy.session.Transaction;
import io.sluice.proxy.smtp.BackendCapabilities;
import io.sluice.proxy.smtp.Deadline;
import io.sluice.proxy.smtp.FinalReply;
import io.sluice.proxy.smtp.ServerStartTls;
import io.sluice.proxy.smtp.SmtpClientConnection;
import io.sluice.proxy.smtp.SmtpFrame;
import io.sluice.proxy.smtp.SmtpFrameDecoder;
import io.sluice.proxy.smtp.SmtpReply;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the {@link SmtpSession} state machine for one MTA relaying out through an outbound listener. Sluice answers
 * the greeting, EHLO and MAIL itself; at the first RCPT it resolves the recipient domain's MX, chooses a source of
 * the listener's egress pool and connects to the remote MX from it; from then on the remote's replies are the
 * MTA's, and the final reply to the data is the remote's. One destination domain per transaction; every failure
 * is a temporary one, so the message stays in the MTA's queue. Everything runs on the client's event loop.
 */
final class OutboundSessionHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(OutboundSessionHandler.class);
    private static final Logger transactions = LoggerFactory.getLogger("io.sluice.transaction");

    // RFC 3463 X.7.1: delivery not authorised.
    static final SmtpReply CLIENT_NOT_ALLOWED = SmtpReply.of(554, "5.7.1", "Access denied: relaying not permitted");
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
    // X.3.5: system incorrectly configured.
    static final SmtpReply POOL_VIOLATION = SmtpReply.of(451, "4.3.5",
            "Delivery refused: source address of another egress pool; try again later");
    private static final SmtpReply MAIL_ACCEPTED = SmtpReply.of(250, "2.1.0", "Ok");

    private final OutboundContext context;
    private final BackendCapabilities offered;
    private final SmtpReply localEhlo;
    private ChannelHandlerContext ctx;
    private SmtpFrameDecoder framer;
    private SmtpSession session;
    private ClientInfo client;
    private SessionLimits limits;
    private Deadline clientTimeout;
    private boolean closed;
    private boolean draining;

    // The transaction: the MAIL line held until a remote is connected, its one destination and how it is reached.
    private String mailLine;
    private String domain;
    private MxAnswer.Found mx;
    private SourceAddress source;
    // Why every further recipient of the transaction is refused the same way (DNS or no mail exchanger answered).
    private SmtpReply refusal;
    private RemoteConnection remote;
    // For the transaction's log line.
    private String lastRemote = "";
    private String lastRemoteReply = "";

    OutboundSessionHandler(OutboundContext context) {
        this.context = context;
        // What the remote path can honour whatever the remote is: 8BITMIME is sent on as is ("just send 8").
        this.localEhlo = new SmtpReply(250, List.of(context.smtp().hostname(), "PIPELINING", "8BITMIME"));
        this.offered = BackendCapabilities.fromEhlo(localEhlo);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.clientTimeout = new Deadline(ctx.executor(), () -> run(session.onTimeout()));
        this.framer = ctx.pipeline().get(SmtpFrameDecoder.class);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        start((InetSocketAddress) ctx.channel().remoteAddress());
        ctx.fireChannelActive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event == ClientSessions.GOODBYE) {
            draining = true;
            if (session != null && !closed && session.idle()) {
                run(session.onShutdown());
            }
        } else {
            ctx.fireUserEventTriggered(event);
        }
    }

    private void start(InetSocketAddress address) {
        String id = Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36);
        client = new ClientInfo(id, context.listener().name(), address);
        session = new SmtpSession(context.settings(), System::nanoTime);
        if (!context.allows(address.getAddress())) {
            // Never an open relay: refused before anything else is spent on it.
            log.info("client not allowed to relay", kv("session", id), kv("listener", client.listener()),
                    kv("client_ip", client.ip()));
            run(session.onConnectionLimited(CLIENT_NOT_ALLOWED));
            return;
        }
        limits = context.policy().openSession(client.listener(), address.getAddress());
        whenDecided(limits.connect(), decision -> run(decision.admitted() ? session.onConnected()
                : session.onConnectionLimited(limited(decision))));
    }

    private void whenDecided(CompletableFuture<Decision> decided, Consumer<Decision> then) {
        PolicyAnswers.whenDecided(decided, ctx.executor(), () -> closed, then);
    }

    private SmtpReply limited(Decision decision) {
        return PolicyAnswers.refusal(decision, client);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (session == null || closed || !(msg instanceof SmtpFrame frame)) {
            ReferenceCountUtil.release(msg instanceof SmtpFrame.DataContent data ? data.content() : msg);
            return;
        }
        clientTimeout.disarm();
        Step step = ClientFrames.dispatch(frame, session, limits, remote);
        if (step == null) {
            armIdleTimer();
        } else {
            run(step);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (remote != null) {
            remote.flush();
        }
        if (framer.framingData() && !closed) {
            // RFC 5321 §4.5.3.2.5: content times out per read, also that of a message already refused, which
            // the framer drops without passing on.
            armIdleTimer();
        }
        ctx.fireChannelReadComplete();
    }

    /** Carries out one step of the session. */
    private void run(Step step) {
        if (closed) {
            return;
        }
        if (step instanceof Step.Reply reply) {
            write(reply.reply());
            if (draining && session.idle()) {
                run(session.onShutdown());
                return;
            }
            framer.expectCommand();
            armIdleTimer();
        } else if (step instanceof Step.Forward forward) {
            forward(forward.line());
        } else if (step instanceof Step.ReceiveData receive) {
            write(receive.reply());
            framer.expectData(receive.maxMessageSize());
            armIdleTimer();
        } else if (step instanceof Step.EndData) {
            if (remote == null) {
                run(session.onBackendLost());
            } else {
                remote.endData(context.timeouts().backendDataTermination()).whenComplete(guarded(this::remoteAnswered));
            }
        } else if (step instanceof Step.Admit admit) {
            if (admit.stage() == Step.AdmitStage.MAIL) {
                whenDecided(limits.mail(admit.address(), admit.declaredSize()), this::decided);
            } else {
                admitRecipient(admit.address());
            }
        } else if (step instanceof Step.Introduce introduce) {
            // HELO/EHLO resets any transaction (RFC 5321 §4.1.4); the remote learns our own name, never this one.
            limits.helo(introduce.helo());
            // Logged before its destination and source are forgotten.
            logFinishedTransaction();
            endTransaction();
            run(session.onIntroduced(localEhlo));
        } else if (step instanceof Step.OpenBackend) {
            // Nothing to open yet: the destination is known only at the first RCPT.
            run(session.onBackendReady(offered));
        } else if (step instanceof Step.AbortData abort) {
            dropRemote();
            run(new Step.Reply(abort.reply()));
        } else if (step instanceof Step.StartTls startTls) {
            ServerStartTls.begin(ctx, framer, context.tls(), startTls.reply(), failure -> {
                clientTimeout.disarm();
                if (failure != null) {
                    log.debug("TLS handshake failed", kv("session", client.sessionId()),
                            kv("error", SmtpClientConnection.rootMessage(failure)));
                    ctx.close();
                    return;
                }
                session.onTlsStarted();
                framer.expectCommand();
                armIdleTimer();
            });
            armIdleTimer();
        } else if (step instanceof Step.Close close) {
            close(close.reply());
        }
        logFinishedTransaction();
    }

    /** Logs the transaction the last event finished, if any, and ends it here too. */
    private void logFinishedTransaction() {
        session.takeFinishedTransaction().ifPresent(transaction -> {
            logTransaction(transaction);
            endTransaction();
        });
    }

    private void decided(Decision decision) {
        run(decision.admitted() ? session.onAdmitted() : session.onLimited(limited(decision)));
    }

    /** A command the session would send to its next hop: here that is the remote, or Sluice until there is one. */
    private void forward(String line) {
        String verb = line.substring(0, Math.min(4, line.length())).toUpperCase(Locale.ROOT);
        switch (verb) {
            case "MAIL" -> {
                endTransaction();
                mailLine = line;
                run(session.onBackendReply(MAIL_ACCEPTED));
            }
            case "RCPT" -> deliverRecipient(line);
            case "DATA" -> {
                if (remote == null) {
                    run(session.onBackendLost());
                } else {
                    remote.request("DATA", context.timeouts().backendDataInit()).whenComplete(guarded(this::remoteAnswered));
                }
            }
            // The session finishes the transaction, which is logged with its destination, then ended here.
            case "RSET" -> run(session.onBackendReply(SmtpReply.OK));
            default -> throw new IllegalStateException("not a command for the next hop: " + verb);
        }
    }

    /** Before the policy is asked about a recipient: is it one Sluice relays, and where would it go. */
    private void admitRecipient(String address) {
        if (!context.allows(client.address().getAddress())) {
            run(session.onLimited(RELAYING_DENIED));
            return;
        }
        int at = address.lastIndexOf('@');
        String recipientDomain = at < 0 ? "" : address.substring(at + 1).toLowerCase(Locale.ROOT);
        if (recipientDomain.isEmpty() || recipientDomain.startsWith("[")) {
            // A literal (or <postmaster>) names no MX to resolve; relaying there would bypass the pools' routing.
            run(session.onLimited(ADDRESS_LITERAL));
            return;
        }
        if (domain != null && !domain.equals(recipientDomain)) {
            run(session.onLimited(ONE_DOMAIN));
            return;
        }
        if (refusal != null) {
            run(session.onLimited(refusal));
            return;
        }
        if (domain != null) {
            whenDecided(limits.rcpt(address), this::decided);
            return;
        }
        domain = recipientDomain;
        context.resolver().resolve(recipientDomain).whenComplete((answer, error) -> ctx.executor().execute(() -> {
            if (!closed) {
                resolved(address, answer);
            }
        }));
    }

    private void resolved(String address, MxAnswer answer) {
        if (answer instanceof MxAnswer.Failed failed) {
            log.info("no mail exchanger", kv("session", client.sessionId()), kv("destination_domain", domain),
                    kv("dns", failed.failure().tag()), kv("detail", failed.detail()));
            refusal = failed.failure().reply();
            run(session.onLimited(refusal));
            return;
        }
        Optional<MxAnswer.Found> permitted = context.destinations().screen(domain, (MxAnswer.Found) answer);
        if (permitted.isEmpty()) {
            refusal = DestinationScreen.refusal((MxAnswer.Found) answer);
            run(session.onLimited(refusal));
            return;
        }
        mx = permitted.get();
        Optional<SourceAddress> chosen = context.pool().select(domain, candidate ->
                mx.hosts().stream().anyMatch(host -> host.addresses().stream().anyMatch(candidate::reaches)));
        if (chosen.isEmpty()) {
            refusal = NO_SOURCE;
            run(session.onLimited(refusal));
            return;
        }
        source = chosen.get();
        limits.egress(context.pool().name(), source.toString());
        whenDecided(limits.rcpt(address), this::decided);
    }

    /** The admitted RCPT goes to the remote, which is connected (and given the MAIL) first if need be. */
    private void deliverRecipient(String line) {
        if (refusal != null) {
            run(session.onBackendReply(refusal));
            return;
        }
        if (remote != null) {
            remote.request(RemoteCommands.rcpt(line, remote.capabilities()), context.timeouts().backendCommand())
                    .whenComplete(guarded(this::remoteAnswered));
            return;
        }
        List<MxHost> hosts = mx.ordered(ThreadLocalRandom.current());
        context.connector().open(ctx.channel().eventLoop(), context.pool(), source, hosts)
                .whenComplete(guarded((connection, error) -> {
                    if (closed) {
                        if (connection != null) {
                            connection.quit(context.timeouts().backendCommand());
                        }
                        return;
                    }
                    if (error != null) {
                        refusal = error instanceof RemoteConnector.PoolViolationException ? POOL_VIOLATION
                                : error instanceof RemoteConnector.DestinationRefusedException
                                ? DestinationScreen.FORBIDDEN : UNREACHABLE;
                        log.info("no mail exchanger reachable", kv("session", client.sessionId()),
                                kv("destination_domain", domain), kv("pool", context.pool().name()),
                                kv("source", source.toString()), kv("error", SmtpClientConnection.rootMessage(error)));
                        run(session.onBackendReply(refusal));
                        return;
                    }
                    adopt(connection);
                    connection.request(RemoteCommands.mail(mailLine, connection.capabilities()),
                                    context.timeouts().backendCommand())
                            .whenComplete(guarded((reply, failure) -> senderAnswered(connection, line, reply, failure)));
                }));
    }

    /**
     * A callback whose own failure is not lost in a future nobody reads: a defect here must not leave the client
     * waiting for a reply that never comes.
     */
    private <T> BiConsumer<T, Throwable> guarded(BiConsumer<T, Throwable> callback) {
        return (value, error) -> {
            try {
                callback.accept(value, error);
            } catch (RuntimeException e) {
                log.warn("unexpected error in outbound session", e);
                ctx.close();
            }
        };
    }

    private void senderAnswered(RemoteConnection connection, String rcptLine, SmtpReply reply, Throwable failure) {
        if (closed || connection != remote) {
            return;
        }
        if (failure != null) {
            remoteFailed(failure);
            return;
        }
        lastRemoteReply = reply.toString();
        if (!reply.isPositive()) {
            // The remote refuses the sender: every recipient of this transaction gets its answer.
            refusal = relayable(reply);
            dropRemote();
            run(session.onBackendReply(refusal));
            return;
        }
        connection.request(RemoteCommands.rcpt(rcptLine, connection.capabilities()),
                context.timeouts().backendCommand()).whenComplete(guarded(this::remoteAnswered));
    }

    private void remoteAnswered(SmtpReply reply, Throwable error) {
        if (closed) {
            return;
        }
        if (error != null) {
            remoteFailed(error);
            return;
        }
        lastRemoteReply = reply.toString();
        run(session.onBackendReply(relayable(reply)));
    }

    /** A remote's 421 closes its connection, not ours: the MTA gets a 451 and the session goes on. */
    private static SmtpReply relayable(SmtpReply reply) {
        return reply.code() == 421 ? new SmtpReply(451, reply.lines()) : reply;
    }

    private void remoteFailed(Throwable error) {
        log.info("remote lost", kv("session", client.sessionId()), kv("mx", lastRemote),
                kv("error", SmtpClientConnection.rootMessage(error)));
        dropRemote();
        run(session.onBackendLost());
    }

    private void adopt(RemoteConnection connection) {
        remote = connection;
        lastRemote = connection.toString();
        connection.onLost(() -> {
            if (remote == connection && !closed) {
                remote = null;
                framer.holdReads(false);
                run(session.onBackendLost());
            }
        });
        connection.onWritabilityChanged(writable -> framer.holdReads(!writable));
    }

    private void dropRemote() {
        if (remote != null) {
            remote.abort();
            remote = null;
            framer.holdReads(false);
        }
    }

    /** The transaction is over: the remote gets its QUIT and the next transaction starts afresh. */
    private void endTransaction() {
        if (remote != null) {
            remote.quit(context.timeouts().backendCommand());
            remote = null;
            framer.holdReads(false);
        }
        if (limits != null) {
            limits.endTransaction();
        }
        mailLine = null;
        domain = null;
        mx = null;
        source = null;
        refusal = null;
    }

    private void write(SmtpReply reply) {
        ctx.writeAndFlush(reply.encode(ctx.alloc()));
    }

    private void close(SmtpReply reply) {
        closed = true;
        clientTimeout.disarm();
        FinalReply.send(ctx, reply);
        if (remote != null) {
            remote.quit(context.timeouts().backendCommand());
            remote = null;
        }
    }

    private void armIdleTimer() {
        clientTimeout.arm(context.timeouts().command());
    }

    private void logTransaction(Transaction transaction) {
        context.meters().finished(client.listener(), transaction);
        context.meters().delivered(context.pool().name(), source == null ? "" : source.toString(), transaction);
        transactions.info("transaction",
                kv("session", client.sessionId()),
                kv("listener", client.listener()),
                kv("client_ip", client.ip()),
                kv("helo", session.helo()),
                kv("sender_domain", transaction.senderDomain()),
                kv("destination_domain", domain == null ? "" : domain),
                kv("recipients", transaction.recipients()),
                kv("size", transaction.size()),
                kv("outcome", transaction.outcome()),
                kv("reply", transaction.reply()),
                kv("pool", context.pool().name()),
                kv("source", source == null ? "" : source.toString()),
                kv("mx_host", lastRemote),
                kv("remote_reply", lastRemoteReply),
                kv("duration_ms", transaction.durationMillis()));
        lastRemote = "";
        lastRemoteReply = "";
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        clientTimeout.cancel();
        ClientFrames.connectionClosed(framer, limits);
        if (session != null && !closed) {
            closed = true;
            session.onClientGone();
            session.takeFinishedTransaction().ifPresent(this::logTransaction);
            dropRemote();
        }
        closed = true;
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException) {
            log.debug("client connection error: {}", cause.toString());
        } else {
            log.warn("unexpected error in outbound session", cause);
        }
        ctx.close();
    }
}
