package io.sluice.proxy.relay;

import static net.logstash.logback.argument.StructuredArguments.kv;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.sluice.config.RuleReply;
import io.sluice.policy.eval.SessionLimits;
import io.sluice.policy.model.Decision;
import io.sluice.proxy.ConnectionErrors;
import io.sluice.proxy.lifecycle.ClientSessions;
import io.sluice.proxy.session.ClientInfo;
import io.sluice.proxy.session.FinishedTransaction;
import io.sluice.proxy.session.SmtpSession;
import io.sluice.proxy.session.Step;
import io.sluice.proxy.smtp.Deadline;
import io.sluice.proxy.smtp.FinalReply;
import io.sluice.proxy.smtp.ServerStartTls;
import io.sluice.proxy.smtp.SmtpClientConnection;
import io.sluice.proxy.smtp.SmtpFrame;
import io.sluice.proxy.smtp.SmtpFrameDecoder;
import io.sluice.proxy.smtp.SmtpReply;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one Netty handler that runs a client session: it turns what the framer read into {@link SmtpSession} events
 * and carries out the {@link Step}s the session returns, against the session's {@link NextHop} (a backend, or a
 * remote mail exchanger) and the flow-control policy. It owns what every session has whatever its next hop: the
 * wait for the client's next command, the drain, STARTTLS, the waits for the policy, and the transaction's log
 * line and meters. Everything runs on the client's event loop; the next hop's answers arrive on it too.
 */
public final class SessionDriver extends ChannelInboundHandlerAdapter implements HopSession.Events {

    private static final Logger log = LoggerFactory.getLogger(SessionDriver.class);
    private static final Logger transactions = LoggerFactory.getLogger("io.sluice.transaction");
    private static final Logger limitLog = LoggerFactory.getLogger("io.sluice.limit");

    private final ListenerContext context;
    private final NextHops hops;
    private ChannelHandlerContext ctx;
    private SmtpFrameDecoder framer;
    private SmtpSession session;
    private ClientInfo client;
    // The client's address as text, for the log line of each transaction.
    private String clientIp;
    private SessionLimits limits;
    private NextHop hop;
    // RFC 5321 §4.5.3.2.7: the server's wait for the client's next command.
    private Deadline clientTimeout;
    private boolean closed;
    // The node is draining: the session ends as soon as it is idle.
    private boolean draining;

    public SessionDriver(ListenerContext context, NextHops hops) {
        this.context = context;
        this.hops = hops;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.clientTimeout = new Deadline(ctx.executor(), () -> run(session.onTimeout()));
        this.framer = ctx.pipeline().get(SmtpFrameDecoder.class);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (!context.proxyProtocol()) {
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
            if (session != null && !closed && session.idle()) {
                run(session.onShutdown());
            }
        } else {
            ctx.fireUserEventTriggered(event);
        }
    }

    private void start(InetSocketAddress address) {
        String id = Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36);
        client = new ClientInfo(id, context.listener(), address);
        clientIp = client.ip();
        session = new SmtpSession(context.settings(), System::nanoTime);
        Optional<SmtpReply> refused = hops.refuse(client);
        if (refused.isPresent()) {
            run(session.onConnectionLimited(refused.get()));
            return;
        }
        limits = context.policy().openSession(client.listener(), address.getAddress());
        hop = hops.forSession(new HopSession(ctx.channel().eventLoop(), client, limits, this));
        // Cheapest first: a connection over its limits is refused before the next hop is asked for anything.
        whenDecided(limits.connect(), decision -> run(decision.admitted() ? session.onConnected()
                : session.onConnectionLimited(refusal(decision))));
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (session == null || closed || !(msg instanceof SmtpFrame frame)) {
            ReferenceCountUtil.release(msg instanceof SmtpFrame.DataContent data ? data.content() : msg);
            return;
        }
        clientTimeout.disarm();
        if (frame instanceof SmtpFrame.DataContent data) {
            // Content goes on while the next hop takes the message; after it was lost or refused, it is dropped.
            if (hop != null && session.state() == SmtpSession.State.DATA) {
                hop.writeContent(data.content());
            } else {
                data.content().release();
            }
            armIdleTimer();
        } else if (frame instanceof SmtpFrame.CommandLine command) {
            run(session.onCommandLine(command.line()));
        } else if (frame instanceof SmtpFrame.DataEnd end) {
            limits.dataEnd(end.size());
            run(session.onDataEnd(end.outcome(), end.size()));
        } else if (frame instanceof SmtpFrame.CommandTooLong) {
            run(session.onCommandTooLong());
        } else if (frame instanceof SmtpFrame.EarlyTalk) {
            run(session.onEarlyTalk());
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (hop != null) {
            // One read from the client becomes one write to the next hop.
            hop.flush();
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
            answer(hop.forward(forward.request()), session::onNextHopReply);
            if (hop.pipelines() && session.takesCommandsAhead()) {
                // RFC 2920: what the client pipelined after this request goes out before its reply comes back.
                framer.expectCommand();
            }
        } else if (step instanceof Step.Relay relay) {
            write(relay.reply());
            run(relay.then());
        } else if (step instanceof Step.ReceiveData receive) {
            write(receive.reply());
            framer.expectData(receive.maxMessageSize());
            armIdleTimer();
        } else if (step instanceof Step.EndData) {
            answer(hop.endData(), session::onNextHopReply);
        } else if (step instanceof Step.Admit admit) {
            admit(admit);
        } else if (step instanceof Step.Introduce introduce) {
            limits.helo(introduce.helo());
            answer(hop.introduce(introduce.helo(), introduce.esmtp()), introduction ->
                    introduction instanceof NextHop.Introduction.Known known
                            ? session.onIntroducedAs(known.capabilities())
                            : session.onIntroduced(((NextHop.Introduction.Answered) introduction).ehlo()));
        } else if (step instanceof Step.OpenNextHop) {
            answer(hop.open(), session::onNextHopReady);
        } else if (step instanceof Step.AbortData abort) {
            hop.abandon();
            run(new Step.Reply(abort.reply()));
        } else if (step instanceof Step.StartTls startTls) {
            startTls(startTls.reply());
        } else if (step instanceof Step.Close close) {
            close(close.reply());
        }
        session.takeFinishedTransaction().ifPresent(this::finished);
    }

    /** MAIL goes to the policy; a recipient to the next hop's routing first, then to the policy. */
    private void admit(Step.Admit admit) {
        if (admit.stage() == Step.AdmitStage.MAIL) {
            whenDecided(limits.mail(admit.address(), admit.declaredSize()), this::decided);
            return;
        }
        onHop(hop.route(admit.address()), refusal -> {
            if (refusal.isPresent()) {
                run(session.onLimited(refusal.get()));
            } else {
                whenDecided(limits.rcpt(admit.address()), this::decided);
            }
        }, error -> run(session.onLimited(SmtpReply.NEXT_HOP_LOST)));
    }

    private void decided(Decision decision) {
        run(decision.admitted() ? session.onAdmitted() : session.onLimited(refusal(decision)));
    }

    /** Continues with the next hop's answer as a session event; a failure is the event its kind says. */
    private <T> void answer(CompletableFuture<T> answer, Function<T, Step> event) {
        onHop(answer, value -> run(event.apply(value)), error -> run(failed(error)));
    }

    private Step failed(Throwable error) {
        if (error instanceof NextHop.Busy busy) {
            return session.onConnectionLimited(refusal(busy.refusal()));
        }
        if (error instanceof NextHop.Unavailable) {
            return session.onNextHopUnavailable();
        }
        if (error instanceof NextHop.Refused refused) {
            return session.onIntroductionRefused(refused.ehlo());
        }
        return session.onNextHopLost();
    }

    /**
     * Runs {@code then} or {@code otherwise} (with the unwrapped cause) once the next hop answers, unless the session
     * has closed meanwhile. A defect in either closes the connection rather than leave the client waiting for a
     * reply that never comes (an exception in a future's callback is lost).
     */
    private <T> void onHop(CompletableFuture<T> answer, Consumer<T> then, Consumer<Throwable> otherwise) {
        answer.whenComplete((value, error) -> {
            // Next hops answer on the session's loop; a hop that did not must not race the session.
            if (ctx.executor().inEventLoop()) {
                proceed(value, error, then, otherwise);
            } else {
                ctx.executor().execute(() -> proceed(value, error, then, otherwise));
            }
        });
    }

    private <T> void proceed(T value, Throwable error, Consumer<T> then, Consumer<Throwable> otherwise) {
        if (closed) {
            return;
        }
        try {
            if (error == null) {
                then.accept(value);
            } else {
                otherwise.accept(error instanceof CompletionException && error.getCause() != null
                        ? error.getCause() : error);
            }
        } catch (RuntimeException e) {
            log.warn("unexpected error in session", kv("session", client.sessionId()), e);
            ctx.close();
        }
    }

    /**
     * Continues with the policy's decision on the session's event loop, after its tarpit delay if it has one, unless
     * the session has closed meanwhile. Reads stay paused: the framer hands over no command before the session asks
     * for the next.
     */
    private void whenDecided(CompletableFuture<Decision> decided, Consumer<Decision> then) {
        Decision now = decided.getNow(null);
        if (now != null && now.delay().isZero()) {
            then.accept(now);
            return;
        }
        decided.whenComplete((decision, error) -> {
            Runnable proceed = () -> {
                if (!closed) {
                    then.accept(decision);
                }
            };
            long delay = decision.delay().toNanos();
            if (delay == 0) {
                ctx.executor().execute(proceed);
            } else {
                ctx.executor().schedule(proceed, delay, TimeUnit.NANOSECONDS);
            }
        });
    }

    /** The reply for a refusal, logged at DEBUG on {@code io.sluice.limit} (the counters carry the totals). */
    private SmtpReply refusal(Decision decision) {
        RuleReply reply = decision.reply();
        limitLog.debug("limited", kv("session", client.sessionId()), kv("listener", client.listener()),
                kv("client_ip", client.ip()), kv("rule", decision.rule().orElse("")), kv("reply", reply.code()),
                kv("retry_after_ms", decision.retryAfter().toMillis()));
        return SmtpReply.of(reply.code(), reply.enhancedCode(), reply.text());
    }

    @Override
    public void lost() {
        if (!closed) {
            framer.holdReads(false);
            run(session.onNextHopLost());
        }
    }

    @Override
    public void writable(boolean writable) {
        framer.holdReads(!writable);
    }

    private void startTls(SmtpReply ready) {
        ServerStartTls.begin(ctx, framer, context.tls(), ready, failure -> {
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
    }

    /** A failed write reaches {@link #exceptionCaught}, so no promise is made per reply. */
    private void write(SmtpReply reply) {
        ctx.writeAndFlush(reply.encode(ctx.alloc()), ctx.voidPromise());
    }

    private void close(SmtpReply reply) {
        closed = true;
        clientTimeout.disarm();
        FinalReply.send(ctx, reply);
        if (hop != null) {
            hop.close();
        }
    }

    private void armIdleTimer() {
        clientTimeout.arm(context.commandTimeout());
    }

    /** A transaction finished: counted, logged with what the next hop adds, then forgotten by the next hop. */
    private void finished(FinishedTransaction transaction) {
        limits.endTransaction();
        context.meters().finished(client.listener(), transaction);
        if (transactions.isInfoEnabled()) {
            transactions.info("transaction", new TransactionLine(client.sessionId(), client.listener(), clientIp,
                    session.helo(), transaction, hop.logFields()));
        }
        hop.transactionFinished(transaction);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        clientTimeout.cancel();
        if (limits != null) {
            // The content of a message cut off in the middle was read all the same: byte limits are settled to it.
            if (framer.framingData()) {
                limits.dataEnd(framer.dataOctets());
            }
            limits.close();
        }
        if (session != null && !closed) {
            closed = true;
            session.onClientGone();
            session.takeFinishedTransaction().ifPresent(this::finished);
            if (hop != null) {
                hop.close();
            }
        }
        closed = true;
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ConnectionErrors.close(ctx, cause, log, "client");
    }
}
