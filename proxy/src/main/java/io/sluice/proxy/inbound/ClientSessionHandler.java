package io.sluice.proxy.inbound;

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
import io.sluice.proxy.smtp.SmtpFrame;
import io.sluice.proxy.smtp.SmtpFrameDecoder;
import io.sluice.proxy.smtp.SmtpReply;
import io.sluice.proxy.smtp.Xtext;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Translates between channel events and the {@link SmtpSession} state machine for one inbound client, and
 * carries out the steps it returns against the backend connection. Everything runs on the client's event
 * loop, backend callbacks included.
 */
final class ClientSessionHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(ClientSessionHandler.class);
    private static final Logger transactions = LoggerFactory.getLogger("io.sluice.transaction");

    private final InboundContext context;
    private ChannelHandlerContext ctx;
    private SmtpFrameDecoder framer;
    private SmtpSession session;
    private ClientInfo client;
    private SessionLimits limits;
    private BackendConnection backend;
    // The client's introduction to a kept connection, under way after the client was answered early; or null.
    private Introduction introducing;
    // The connection that was told who this client is; a kept connection still knows the previous client.
    private BackendConnection xclientSentTo;
    private String nextHop = "";
    // RFC 5321 §4.5.3.2.7: the server's wait for the client's next command.
    private Deadline clientTimeout;
    private boolean closed;
    // The node is draining: the session ends as soon as it is idle.
    private boolean draining;

    ClientSessionHandler(InboundContext context) {
        this.context = context;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.clientTimeout = new Deadline(ctx.executor(), () -> run(session.onTimeout()));
        this.framer = ctx.pipeline().get(SmtpFrameDecoder.class);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (context.listener().proxyProtocol().isEmpty()) {
            start((InetSocketAddress) ctx.channel().remoteAddress());
        }
        ctx.fireChannelActive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof ClientAddress address) {
            start(address.address());
        } else if (event == ClientSessions.GOODBYE) {
            draining = true;
            endIfIdle();
        } else {
            ctx.fireUserEventTriggered(event);
        }
    }

    private void start(InetSocketAddress address) {
        String id = Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36);
        client = new ClientInfo(id, context.listener().name(), address);
        session = new SmtpSession(context.settings(), System::nanoTime);
        limits = context.policy().openSession(client.listener(), address.getAddress());
        // Cheapest first: a connection over its limits is refused before any backend connection is opened.
        whenDecided(limits.connect(), decision -> run(decision.admitted() ? session.onConnected()
                : session.onConnectionLimited(limited(decision))));
    }

    /** The node is draining: an idle session ends now, a busy one after its transaction's last reply. */
    private void endIfIdle() {
        if (session != null && !closed && session.idle()) {
            run(session.onShutdown());
        }
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
        cancelIdleTimer();
        Step step = ClientFrames.dispatch(frame, session, limits, backend);
        if (step == null) {
            armIdleTimer();
        } else {
            run(step);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (backend != null) {
            backend.flush();
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
                // The transaction is over (or there was none): the drain's goodbye follows its last reply.
                run(session.onShutdown());
                return;
            }
            framer.expectCommand();
            armIdleTimer();
        } else if (step instanceof Step.Forward forward) {
            afterIntroduction(() -> withBackend(true, connection -> connection
                    .request(forward.line(), timeoutFor(forward.stage())).whenComplete(this::backendAnswered)));
        } else if (step instanceof Step.ReceiveData receive) {
            write(receive.reply());
            framer.expectData(receive.maxMessageSize());
            armIdleTimer();
        } else if (step instanceof Step.EndData) {
            if (backend == null) {
                run(session.onBackendLost());
            } else {
                backend.endData(context.timeouts().backendDataTermination()).whenComplete(this::backendAnswered);
            }
        } else if (step instanceof Step.Admit admit) {
            CompletableFuture<Decision> decided = admit.stage() == Step.AdmitStage.MAIL
                    ? limits.mail(admit.address(), admit.declaredSize())
                    : limits.rcpt(admit.address());
            whenDecided(decided, decision -> run(decision.admitted() ? session.onAdmitted()
                    : session.onLimited(limited(decision))));
        } else if (step instanceof Step.Introduce introduce) {
            limits.helo(introduce.helo());
            afterIntroduction(this::introduceClient);
        } else if (step instanceof Step.OpenBackend) {
            withNewBackend(false, connection -> run(session.onBackendReady(connection.capabilities())));
        } else if (step instanceof Step.AbortData abort) {
            dropBackend();
            run(new Step.Reply(abort.reply()));
        } else if (step instanceof Step.StartTls startTls) {
            startTls(startTls.reply());
        } else if (step instanceof Step.Close close) {
            close(close.reply());
        }
        session.takeFinishedTransaction().ifPresent(this::logTransaction);
    }

    /**
     * Answers the client's HELO/EHLO. A kept connection that has answered an EHLO before is not waited for: the
     * client gets that answer at once, which saves every session on a kept connection a round trip to the
     * backend (two with XCLIENT), and the next command for the backend waits for the backend's answer to this
     * client (RFC 2920: nothing follows EHLO before its reply). Otherwise the backend's answer is the client's.
     */
    private void introduceClient() {
        if (backend != null && backend.reused() && backend.capabilities() != BackendCapabilities.NONE) {
            introducing = new Introduction(backend, introduce(backend));
            run(session.onIntroducedAs(backend.capabilities()));
            return;
        }
        // The step introduces the client itself: a new connection needs nothing more first.
        withBackend(false, connection -> introduceReplacingStale(connection, (reply, error) -> {
            if (error != null) {
                backendFailed(error);
            } else {
                run(session.onIntroduced(reply));
            }
        }));
    }

    /** A client's introduction to a kept connection: the backend's answer to come. */
    private record Introduction(BackendConnection connection, CompletableFuture<SmtpReply> answer) {}

    /** Runs {@code action} (which goes to the backend) once the backend has answered an early introduction. */
    private void afterIntroduction(Runnable action) {
        Introduction early = introducing;
        if (early == null) {
            action.run();
            return;
        }
        introducing = null;
        early.answer().whenComplete((reply, error) -> {
            if (closed) {
                return;
            }
            if (error != null) {
                // The kept connection went stale meanwhile: the action introduces the client to a new one first.
                if (backend == early.connection()) {
                    dropBackend();
                }
                action.run();
            } else if (reply.isPositive()) {
                action.run();
            } else {
                run(session.onIntroductionRefused(reply));
            }
        });
    }

    private Duration timeoutFor(Step.BackendStage stage) {
        return switch (stage) {
            case COMMAND -> context.timeouts().backendCommand();
            case DATA_INIT -> context.timeouts().backendDataInit();
            case DATA_TERMINATION -> context.timeouts().backendDataTermination();
        };
    }

    private void backendAnswered(SmtpReply reply, Throwable error) {
        if (closed) {
            return;
        }
        if (error != null) {
            backendFailed(error);
        } else {
            run(session.onBackendReply(reply));
        }
    }

    private void backendFailed(Throwable error) {
        if (closed) {
            return;
        }
        log.info("backend lost", kv("session", client.sessionId()),
                kv("backend", backend == null ? "" : backend.server().toString()),
                kv("error", BackendConnector.rootMessage(error)));
        dropBackend();
        run(session.onBackendLost());
    }

    /**
     * Runs the action with the session's backend, opening a new one if it was lost, and introducing the
     * client to it first where asked and the client has said HELO/EHLO.
     */
    private void withBackend(boolean introduceFirst, Consumer<BackendConnection> action) {
        if (backend != null) {
            action.accept(backend);
        } else {
            withNewBackend(introduceFirst && session.helo() != null, action);
        }
    }

    private void withNewBackend(boolean reintroduce, Consumer<BackendConnection> action) {
        context.connector().open(ctx.channel().eventLoop(), limits).whenComplete((connection, error) -> {
            if (closed) {
                if (connection != null) {
                    context.connector().release(connection);
                }
                return;
            }
            if (error != null) {
                Throwable cause = error instanceof CompletionException && error.getCause() != null
                        ? error.getCause() : error;
                if (cause instanceof BackendConnector.BackendsBusy busy) {
                    run(session.onConnectionLimited(limited(busy.refusal())));
                    return;
                }
                log.warn("no backend reachable", kv("session", client.sessionId()),
                        kv("pool", context.connector().pool().config().name()),
                        kv("error", BackendConnector.rootMessage(error)));
                run(session.onBackendUnavailable());
                return;
            }
            adopt(connection);
            if (!reintroduce) {
                action.accept(connection);
                return;
            }
            introduceReplacingStale(connection, (reply, failure) -> {
                if (failure != null || !reply.isPositive()) {
                    dropBackend();
                    run(session.onBackendUnavailable());
                } else {
                    // The connection introduced, which a stale kept one may have been swapped for.
                    action.accept(backend);
                }
            });
        });
    }

    /**
     * Introduces the client (see {@link #introduce}); a kept connection that the backend closed meanwhile
     * is dropped and the introduction made on another, so a client never pays for a stale connection.
     */
    private void introduceReplacingStale(BackendConnection connection, BiConsumer<SmtpReply, Throwable> done) {
        introduce(connection).whenComplete((reply, error) -> {
            if (error != null && connection.reused() && !closed) {
                dropBackend();
                withNewBackend(false, replacement -> introduceReplacingStale(replacement, done));
            } else {
                done.accept(reply, error);
            }
        });
    }

    private void adopt(BackendConnection connection) {
        backend = connection;
        nextHop = connection.server().toString();
        connection.onLost(() -> {
            if (backend == connection && !closed) {
                backend = null;
                framer.holdReads(false);
                run(session.onBackendLost());
            }
        });
        connection.onWritabilityChanged(writable -> framer.holdReads(!writable));
    }

    private void dropBackend() {
        if (backend != null) {
            backend.abort();
            backend = null;
            framer.holdReads(false);
        }
    }

    /**
     * Tells the backend who the client really is with XCLIENT (once per connection, where offered and
     * enabled), then repeats the client's HELO/EHLO; completes with the backend's EHLO reply.
     */
    private CompletableFuture<SmtpReply> introduce(BackendConnection connection) {
        Duration timeout = context.timeouts().backendCommand();
        CompletableFuture<Void> identified = CompletableFuture.completedFuture(null);
        if (context.xclientEnabled() && connection.capabilities().offersXclient() && xclientSentTo != connection) {
            xclientSentTo = connection;
            identified = connection.request(xclientLine(connection.capabilities()), timeout).thenAccept(reply -> {
                // Postfix answers a successful XCLIENT with a new 220 greeting; smtp-sink with 250.
                if (reply.code() / 100 != 2) {
                    // What we knew of the server is stale: the next connection asks again.
                    connection.server().lastCapabilities(null);
                    log.warn("backend refused XCLIENT; check its authorized XCLIENT hosts",
                            kv("backend", connection.server().toString()), kv("reply", reply.toString()));
                    throw new IllegalStateException(connection.server() + " refused XCLIENT: " + reply);
                }
            });
        }
        return identified.thenCompose(ignored -> connection.request("EHLO " + session.helo(), timeout))
                .thenApply(reply -> {
                    if (reply.isPositive()) {
                        connection.capabilities(BackendCapabilities.fromEhlo(reply));
                    }
                    return reply;
                });
    }

    private String xclientLine(BackendCapabilities capabilities) {
        InetSocketAddress address = client.address();
        List<String> attributes = new ArrayList<>();
        String ip = address.getAddress() instanceof Inet6Address ? "IPV6:" + client.ip() : client.ip();
        addAttribute(attributes, capabilities, "ADDR", ip);
        addAttribute(attributes, capabilities, "PORT", Integer.toString(address.getPort()));
        // No reverse lookups here: the backend may do its own.
        addAttribute(attributes, capabilities, "NAME", "[UNAVAILABLE]");
        addAttribute(attributes, capabilities, "HELO", session.helo());
        addAttribute(attributes, capabilities, "PROTO", session.esmtp() ? "ESMTP" : "SMTP");
        return "XCLIENT " + String.join(" ", attributes);
    }

    private static void addAttribute(List<String> attributes, BackendCapabilities capabilities, String name,
                                     String value) {
        if (capabilities.xclient().contains(name)) {
            attributes.add(name + "=" + Xtext.encode(value));
        }
    }

    private void startTls(SmtpReply ready) {
        ServerStartTls.begin(ctx, framer, context.tls(), ready, failure -> {
            cancelIdleTimer();
            if (failure != null) {
                log.debug("TLS handshake failed", kv("session", client.sessionId()),
                        kv("error", BackendConnector.rootMessage(failure)));
                ctx.close();
                return;
            }
            session.onTlsStarted();
            framer.expectCommand();
            armIdleTimer();
        });
        armIdleTimer();
    }

    private void write(SmtpReply reply) {
        ctx.writeAndFlush(reply.encode(ctx.alloc()));
    }

    private void close(SmtpReply reply) {
        closed = true;
        cancelIdleTimer();
        FinalReply.send(ctx, reply);
        releaseBackend();
    }

    private void releaseBackend() {
        if (backend != null) {
            context.connector().release(backend);
            backend = null;
        }
    }

    private void armIdleTimer() {
        clientTimeout.arm(context.timeouts().command());
    }

    private void cancelIdleTimer() {
        clientTimeout.disarm();
    }

    private void logTransaction(Transaction transaction) {
        context.meters().finished(client.listener(), transaction);
        transactions.info("transaction",
                kv("session", client.sessionId()),
                kv("listener", client.listener()),
                kv("client_ip", client.ip()),
                kv("helo", session.helo()),
                kv("sender_domain", transaction.senderDomain()),
                kv("recipients", transaction.recipients()),
                kv("size", transaction.size()),
                kv("outcome", transaction.outcome()),
                kv("reply", transaction.reply()),
                kv("next_hop", nextHop),
                kv("duration_ms", transaction.durationMillis()));
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        clientTimeout.cancel();
        ClientFrames.connectionClosed(framer, limits);
        if (session != null && !closed) {
            closed = true;
            releaseBackend();
            session.onClientGone();
            session.takeFinishedTransaction().ifPresent(this::logTransaction);
        }
        closed = true;
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException) {
            // Resets and broken pipes are everyday network weather, not an operator's problem.
            log.debug("client connection error: {}", cause.toString());
        } else {
            log.warn("unexpected error in client session", cause);
        }
        ctx.close();
    }
}
