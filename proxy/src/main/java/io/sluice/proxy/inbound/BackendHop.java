package io.sluice.proxy.inbound;

import static net.logstash.logback.argument.StructuredArguments.kv;

import io.netty.buffer.ByteBuf;
import io.sluice.proxy.relay.HopConnection;
import io.sluice.proxy.relay.HopSession;
import io.sluice.proxy.relay.NextHop;
import io.sluice.proxy.session.FinishedTransaction;
import io.sluice.proxy.smtp.Request;
import io.sluice.proxy.smtp.ServerCapabilities;
import io.sluice.proxy.smtp.SmtpClientConnection;
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
import java.util.function.Function;
import net.logstash.logback.argument.StructuredArgument;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The next hop of an inbound session: a backend of the listener's pool, taken from the kept connections where
 * there is one. The backend learns who the client is by XCLIENT (where offered and enabled) and hears the client's
 * HELO/EHLO; a connection lost between commands is replaced, and the client introduced to the new one, before the
 * next command.
 */
final class BackendHop implements NextHop {

    private static final Logger log = LoggerFactory.getLogger(BackendHop.class);
    private static final SmtpReply MAIL_ACCEPTED = SmtpReply.of(250, "2.1.0", "Ok");

    private final InboundContext context;
    private final HopSession session;
    private final HopConnection<BackendConnection> backend;
    private final Admission admission;
    // The session's place in the pool's in-flight count: from its MAIL sent to the transaction's end; NONE outside.
    private Admission.Place place = Admission.Place.NONE;
    // Counts the places taken, so that the late end of one transaction never gives back the next one's place.
    private int admitted;
    // The backend's answer to a client answered early on a kept connection, still to come; or null.
    private CompletableFuture<SmtpReply> introducing;
    private BackendConnection introducingOn;
    // The connection that was told who this client is; a kept connection still knows the previous client.
    private BackendConnection xclientSentTo;
    private String helo;
    private boolean esmtp;
    private String lastServer = "";
    // The transaction log line's field naming lastServer, made when it changes rather than per transaction.
    private List<StructuredArgument> logFields = List.of(kv("next_hop", ""));
    // A request forwarded after the early introduction's answer or a replacement connection, not yet sent.
    private CompletableFuture<SmtpReply> waitingToBeSent = CompletableFuture.completedFuture(null);
    // A MAIL answered here and held back, to go to the backend in one write with the transaction's next request.
    private Request.Mail heldMail;
    // The backend's answer to the transaction's MAIL, once sent after being held: a refusal answers what follows.
    private CompletableFuture<SmtpReply> mailAnswer;
    // The answer to the last request of the transaction while mailAnswer is kept, which the next answer follows.
    private CompletableFuture<SmtpReply> lastAnswer;

    BackendHop(InboundContext context, HopSession session) {
        this.context = context;
        this.session = session;
        this.admission = context.connector().admission();
        this.backend = new HopConnection<>(new LossEvents(session.events()));
    }

    @Override
    public CompletableFuture<ServerCapabilities> open() {
        return connect().thenApply(SmtpClientConnection::capabilities);
    }

    /**
     * Answers the client's HELO/EHLO. A kept connection that has answered an EHLO before is not waited for: the
     * client gets that answer at once, which saves every session on a kept connection a round trip to the backend
     * (two with XCLIENT), and the next request waits for the backend's answer to this client (RFC 2920: nothing
     * follows EHLO before its reply). Otherwise the backend's answer is the client's.
     */
    @Override
    public CompletableFuture<Introduction> introduce(String helo, boolean esmtp) {
        // RFC 5321 §4.1.4: HELO/EHLO ends a transaction under way, as RSET would.
        release(false);
        endHeldMail();
        this.helo = helo;
        this.esmtp = esmtp;
        BackendConnection kept = backend.get();
        if (kept != null && kept.reused() && kept.capabilities() != ServerCapabilities.NONE) {
            introducingOn = kept;
            introducing = introduceTo(kept);
            // Sent before the client's answer, so that the backend's comes back sooner for the request that waits.
            backend.flush();
            return CompletableFuture.completedFuture(new Introduction.Known(kept.capabilities()));
        }
        return lostIfFailed(current().thenCompose(this::introduceReplacingStale).thenApply(Introduction.Answered::new));
    }

    /**
     * Sends the request. A MAIL, where the backend pipelines and nothing waits before it, is answered here and held
     * back to leave with the transaction's next request in one write (RFC 2920), as from a client that pipelines: a
     * round trip less per transaction for the backend and for this node. A sender the backend refuses then learns it
     * at its first recipient, as from Postfix itself with its default {@code smtpd_delay_reject = yes}; the outbound
     * side holds MAIL for its first recipient too.
     *
     * <p>Where the pool's admission is on, a MAIL takes a place in its in-flight count first; in adaptive mode, over
     * the limit, it is answered with the pool's reply without reaching a backend, which the session relays as any
     * refused MAIL. The place is given back once when the transaction ends: a refused or lost MAIL, the final reply,
     * RSET, HELO/EHLO, the message abandoned, or the loss or close of either connection.
     */
    @Override
    public CompletableFuture<SmtpReply> forward(Request request) {
        if (request instanceof Request.Mail mail) {
            endHeldMail();
            if (admission.enabled()) {
                release(false);
                // A sender deferred before may take into the share of the limit kept for returning senders, the
                // deeper the longer ago it was first deferred; a refusal is a deferral, which the next try finds.
                Admission.Place taken = admission.acquire(session.limits().reservedShare());
                if (!taken.admitted()) {
                    session.limits().deferred();
                    return CompletableFuture.completedFuture(admission.refusal());
                }
                place = taken;
                admitted++;
            }
            if (introducing != null && pipelinesOnceIntroduced()) {
                return heldAfterIntroduction(mail);
            }
            if (pipelines()) {
                heldMail = mail;
                return CompletableFuture.completedFuture(MAIL_ACCEPTED);
            }
            return mailSent(mail);
        }
        if (request instanceof Request.Rset) {
            // A MAIL still held never reached the backend: there is nothing there to reset.
            CompletableFuture<SmtpReply> reset = heldMail != null ? CompletableFuture.completedFuture(SmtpReply.OK)
                    : send(request);
            endHeldMail();
            return admission.enabled() ? endingTransaction(reset, false) : reset;
        }
        return inTransaction(request);
    }

    /**
     * A MAIL that follows a client answered early on a kept connection (see {@link #introduce}): it is answered once
     * the backend has answered the client's HELO/EHLO, whose reply is already on its way, and held back as any other
     * (see {@link #forward}), rather than sent then and answered a round trip later. A refused introduction is the
     * MAIL's answer, as before; nothing goes to the backend before its answer (RFC 2920), since the session sends no
     * request ahead until this one is answered.
     */
    private CompletableFuture<SmtpReply> heldAfterIntroduction(Request.Mail mail) {
        heldMail = mail;
        CompletableFuture<SmtpReply> accepted = afterIntroduction().thenApply(ignored -> MAIL_ACCEPTED)
                .whenComplete((reply, error) -> {
                    if (error != null && heldMail == mail) {
                        heldMail = null;
                    }
                });
        waitingToBeSent = accepted;
        return placeGivenBackUnlessAccepted(accepted);
    }

    /** Sends the MAIL; where admission is on, a refused or lost one gives the transaction's place back. */
    private CompletableFuture<SmtpReply> mailSent(Request.Mail mail) {
        return placeGivenBackUnlessAccepted(send(mail));
    }

    /** Where admission is on, the answer to a MAIL that refuses it, or never comes, gives the transaction's place back. */
    private CompletableFuture<SmtpReply> placeGivenBackUnlessAccepted(CompletableFuture<SmtpReply> answer) {
        if (!admission.enabled()) {
            return answer;
        }
        int transaction = admitted;
        return answer.whenComplete((reply, error) -> {
            if (error != null || !reply.isPositive()) {
                release(transaction, error == null);
            }
        });
    }

    /**
     * A request of the transaction (RCPT, DATA). A MAIL held back goes first, in the same write where the backend
     * pipelines (RFC 2920). After a MAIL the backend refused, its refusal is the answer and nothing more is sent: the
     * backend's own answer would be a 503 that says nothing of why. Answers keep the order of the requests: a refusal
     * is given once the backend has answered what went before it, so nothing is outstanding when the client is told.
     */
    private CompletableFuture<SmtpReply> inTransaction(Request request) {
        if (heldMail != null) {
            mailAnswer = mailSent(heldMail);
            heldMail = null;
        }
        CompletableFuture<SmtpReply> mail = mailAnswer;
        if (mail == null || mail.isDone() && !mail.isCompletedExceptionally() && mail.join().isPositive()) {
            // No MAIL held in this transaction, or the backend took it: the request goes as any other.
            endHeldMail();
            return send(request);
        }
        CompletableFuture<SmtpReply> answer;
        if (mail.isDone()) {
            CompletableFuture<SmtpReply> before = lastAnswer;
            answer = before == null ? mail : before.handle((reply, error) -> null).thenCompose(ignored -> mail);
        } else if (pipelines()) {
            CompletableFuture<SmtpReply> own = send(request);
            answer = mail.thenCompose(sender -> sender.isPositive() ? own : own.handle((reply, error) -> sender));
        } else {
            // The MAIL waits for a replacement connection: the request follows once the MAIL is answered.
            answer = mail.thenCompose(sender -> sender.isPositive() ? send(request)
                    : CompletableFuture.completedFuture(sender));
            waitingToBeSent = answer;
        }
        lastAnswer = answer;
        return answer;
    }

    /** The transaction's MAIL is sent and answered yes, or the transaction is over: nothing held follows from it. */
    private void endHeldMail() {
        heldMail = null;
        mailAnswer = null;
        lastAnswer = null;
    }

    private CompletableFuture<SmtpReply> send(Request request) {
        Duration timeout = request instanceof Request.Data
                ? context.timeouts().backendDataInit() : context.timeouts().backendCommand();
        BackendConnection current = backend.get();
        if (introducing == null && current != null) {
            // The common case, with nothing to wait for first: no stage of futures per command.
            return lostIfFailed(current.request(request, timeout));
        }
        waitingToBeSent = lostIfFailed(afterIntroduction()
                .thenCompose(ignored -> introducedConnection())
                .thenCompose(connection -> connection.request(request, timeout)));
        return waitingToBeSent;
    }

    /** Where the backend offered PIPELINING, and no request waits to be sent before the next. */
    @Override
    public boolean pipelines() {
        return introducing == null && pipelinesOnceIntroduced();
    }

    /** Where the backend offered PIPELINING, and no request but the client's introduction waits to be sent. */
    private boolean pipelinesOnceIntroduced() {
        BackendConnection current = backend.get();
        return current != null && current.capabilities().pipelining() && waitingToBeSent.isDone();
    }

    @Override
    public void writeContent(ByteBuf content) {
        backend.writeContent(content);
    }

    @Override
    public void flush() {
        backend.flush();
    }

    @Override
    public CompletableFuture<SmtpReply> endData() {
        endHeldMail();
        if (backend.get() == null) {
            return CompletableFuture.failedFuture(new IOException("no backend connection for the end of data"));
        }
        CompletableFuture<SmtpReply> answer = lostIfFailed(
                backend.get().endData(context.timeouts().backendDataTermination()));
        return admission.enabled() ? endingTransaction(answer, true) : answer;
    }

    @Override
    public void abandon() {
        endHeldMail();
        backend.drop();
        release(false);
    }

    @Override
    public List<StructuredArgument> logFields() {
        return logFields;
    }

    @Override
    public void transactionFinished(FinishedTransaction transaction) {
        // The backend follows its own transaction state (BackendConnection); nothing is kept here per transaction.
    }

    @Override
    public void close() {
        release(false);
        BackendConnection last = backend.close();
        if (last != null) {
            context.connector().release(last, session);
        }
    }

    /**
     * The answer ends the transaction under way, whatever it says or if it never comes; {@code ends} when the
     * answer is the backends' to the transaction's end (not to a RSET).
     */
    private CompletableFuture<SmtpReply> endingTransaction(CompletableFuture<SmtpReply> answer, boolean ends) {
        int transaction = admitted;
        return answer.whenComplete((reply, error) -> release(transaction, ends && error == null));
    }

    /**
     * The transaction under way, if it holds a place, gives it back; {@code answered} when the backends answered its
     * end (see {@link Admission#release}).
     */
    private void release(boolean answered) {
        if (place.admitted()) {
            admission.release(place, answered);
            place = Admission.Place.NONE;
        }
    }

    /** The transaction {@code transaction} gives back its place, if it holds it still. */
    private void release(int transaction, boolean answered) {
        if (transaction == admitted) {
            release(answered);
        }
    }

    /**
     * The session's events. A connection lost between requests gives back the transaction's place; one lost while a
     * MAIL is held is nobody's news: the backend never heard of the transaction, and its next request goes to a new
     * connection, the client introduced to it first, as a MAIL would have before.
     */
    private final class LossEvents implements HopSession.Events {
        private final HopSession.Events events;

        LossEvents(HopSession.Events events) {
            this.events = events;
        }

        @Override
        public void lost() {
            if (heldMail != null) {
                return;
            }
            release(false);
            events.lost();
        }

        @Override
        public void writable(boolean writable) {
            events.writable(writable);
        }
    }

    /** The session's connection, or a new one if there is none yet or it was lost. */
    private CompletableFuture<BackendConnection> current() {
        return backend.get() != null ? CompletableFuture.completedFuture(backend.get()) : connect();
    }

    /**
     * The session's connection; a new one, if it was lost, is introduced to first (where the client has said
     * HELO/EHLO), so that the backend knows the client before its command.
     */
    private CompletableFuture<BackendConnection> introducedConnection() {
        if (backend.get() != null) {
            return CompletableFuture.completedFuture(backend.get());
        }
        return connect().thenCompose(connection -> helo == null ? CompletableFuture.completedFuture(connection)
                : introduceReplacingStale(connection).handle((reply, failure) -> {
                    if (failure != null || !reply.isPositive()) {
                        backend.drop();
                        throw new CompletionException(new Unavailable(
                                "the replacement backend did not take the client's introduction", failure));
                    }
                    // The connection introduced, which a stale kept one may have been swapped for.
                    return backend.get();
                }));
    }

    /** A connection from the pool, adopted by the session; fails with {@link Busy} or {@link Unavailable}. */
    private CompletableFuture<BackendConnection> connect() {
        return context.connector().open(session.loop(), session.limits()).handle((connection, error) -> {
            if (error != null) {
                Throwable cause = error instanceof CompletionException && error.getCause() != null
                        ? error.getCause() : error;
                if (cause instanceof BackendConnector.BackendsBusy busy) {
                    throw new CompletionException(new Busy(busy.getMessage(), busy.refusal()));
                }
                log.warn("no backend reachable", kv("session", session.client().sessionId()),
                        kv("pool", context.connector().pool().config().name()),
                        kv("error", SmtpClientConnection.rootMessage(error)));
                throw new CompletionException(new Unavailable("no backend reachable", cause));
            }
            if (backend.isClosed()) {
                context.connector().release(connection, session);
                throw new CompletionException(new IOException("the session closed meanwhile"));
            }
            backend.adopt(connection);
            lastServer = connection.server().toString();
            logFields = List.of(kv("next_hop", lastServer));
            return connection;
        });
    }

    /** Completes once the backend has answered an early introduction; fails with {@link Refused} if it refused it. */
    private CompletableFuture<Void> afterIntroduction() {
        CompletableFuture<SmtpReply> early = introducing;
        if (early == null) {
            return CompletableFuture.completedFuture(null);
        }
        BackendConnection on = introducingOn;
        introducing = null;
        introducingOn = null;
        return early.handle((reply, error) -> {
            if (error != null) {
                // The kept connection went stale meanwhile: the request goes to a new one, introduced first.
                if (backend.get() == on) {
                    backend.drop();
                }
                return null;
            }
            if (!reply.isPositive()) {
                throw new CompletionException(new Refused(reply));
            }
            return null;
        });
    }

    /**
     * Introduces the client (see {@link #introduceTo}); a kept connection that the backend closed meanwhile is
     * dropped and the introduction made on another, so a client never pays for a stale connection.
     */
    private CompletableFuture<SmtpReply> introduceReplacingStale(BackendConnection connection) {
        return introduceTo(connection).handle((reply, error) -> {
            if (error != null && connection.reused() && !backend.isClosed()) {
                backend.drop();
                return connect().thenCompose(this::introduceReplacingStale);
            }
            return error != null ? CompletableFuture.<SmtpReply>failedFuture(error)
                    : CompletableFuture.completedFuture(reply);
        }).thenCompose(Function.identity());
    }

    /**
     * Tells the backend who the client really is with XCLIENT (once per connection, where offered and enabled),
     * then repeats the client's HELO/EHLO; completes with the backend's EHLO reply.
     */
    private CompletableFuture<SmtpReply> introduceTo(BackendConnection connection) {
        Duration timeout = context.timeouts().backendCommand();
        CompletableFuture<Void> identified = CompletableFuture.completedFuture(null);
        if (context.xclientEnabled() && connection.capabilities().offersXclient() && xclientSentTo != connection) {
            xclientSentTo = connection;
            identified = connection.request(xclient(connection.capabilities()), timeout).thenAccept(reply -> {
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
        return identified.thenCompose(ignored -> connection.request(new Request.Ehlo(helo), timeout))
                .thenApply(reply -> {
                    if (reply.isPositive()) {
                        connection.capabilities(ServerCapabilities.fromEhlo(reply));
                    }
                    return reply;
                });
    }

    private Request.Xclient xclient(ServerCapabilities capabilities) {
        InetSocketAddress address = session.client().address();
        String ip = session.client().ip();
        List<String> attributes = new ArrayList<>();
        addAttribute(attributes, capabilities, "ADDR", address.getAddress() instanceof Inet6Address ? "IPV6:" + ip : ip);
        addAttribute(attributes, capabilities, "PORT", Integer.toString(address.getPort()));
        // No reverse lookups here: the backend may do its own.
        addAttribute(attributes, capabilities, "NAME", "[UNAVAILABLE]");
        addAttribute(attributes, capabilities, "HELO", helo);
        addAttribute(attributes, capabilities, "PROTO", esmtp ? "ESMTP" : "SMTP");
        return new Request.Xclient(attributes);
    }

    private static void addAttribute(List<String> attributes, ServerCapabilities capabilities, String name,
                                     String value) {
        if (capabilities.xclient().contains(name)) {
            attributes.add(name + "=" + Xtext.encode(value));
        }
    }

    /** A failure of the backend (not one of the kinds the session tells apart) is logged, and the connection dropped. */
    private <T> CompletableFuture<T> lostIfFailed(CompletableFuture<T> answer) {
        return answer.whenComplete((value, error) -> {
            Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
            if (cause == null || cause instanceof Busy || cause instanceof Unavailable || cause instanceof Refused
                    || backend.isClosed()) {
                return;
            }
            log.info("backend lost", kv("session", session.client().sessionId()), kv("backend", lastServer),
                    kv("error", SmtpClientConnection.rootMessage(cause)));
            backend.drop();
            if (admission.enabled()) {
                // A backend that does not answer in time is pushing back; one that closed may just be restarting.
                if (cause instanceof SmtpClientConnection.ReplyTimeoutException) {
                    admission.dropped();
                }
                release(false);
            }
        });
    }
}
