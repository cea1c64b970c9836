package io.sluice.proxy.relay;

import io.netty.buffer.ByteBuf;
import io.sluice.policy.model.Decision;
import io.sluice.proxy.session.FinishedTransaction;
import io.sluice.proxy.smtp.Request;
import io.sluice.proxy.smtp.ServerCapabilities;
import io.sluice.proxy.smtp.SmtpReply;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import net.logstash.logback.argument.StructuredArgument;

/**
 * The server behind one client session, as the {@link SessionDriver} sees it: a backend of a pool (inbound) or a
 * remote mail exchanger (outbound). Every method is called on the session's event loop, and every future completes
 * on it. A future that fails with anything but the failures below means the next hop was lost; the hop has logged
 * why, with what only it knows.
 */
public interface NextHop {

    /** Ready for the session's greeting: the extensions the path behind Sluice can honour. */
    CompletableFuture<ServerCapabilities> open();

    /** Tells the next hop who the client is and gives it the client's HELO/EHLO; the answer for the client. */
    CompletableFuture<Introduction> introduce(String helo, boolean esmtp);

    /**
     * Before the policy is asked about a recipient: a refusal for one this hop cannot take (say, no route to its
     * domain), or empty. Never fails.
     */
    default CompletableFuture<Optional<SmtpReply>> route(String recipient) {
        return CompletableFuture.completedFuture(Optional.empty());
    }

    /**
     * Sends MAIL, RCPT, DATA or RSET; the reply the client gets. Answers come in the order the requests were
     * forwarded. Another request may be forwarded before the answer to a MAIL or RCPT only while {@link #pipelines}.
     */
    CompletableFuture<SmtpReply> forward(Request request);

    /**
     * Whether the request just forwarded, if it lets a group go on (RFC 2920), may be followed by the next before its
     * answer: the next hop offered PIPELINING and nothing is held back in front of it.
     */
    default boolean pipelines() {
        return false;
    }

    /** Queues a run of message content (ownership passes); {@link #flush} sends what is queued. */
    void writeContent(ByteBuf content);

    void flush();

    /** Ends the message with the end-of-data line; the final reply. */
    CompletableFuture<SmtpReply> endData();

    /** Drops the message under way, so that it is never delivered. */
    void abandon();

    /** The fields the next hop adds to a transaction's log line. */
    List<StructuredArgument> logFields();

    /** The session finished a transaction, logged already: what the hop kept for it may go. */
    void transactionFinished(FinishedTransaction transaction);

    /** The session is over: the connection is kept for another session or told goodbye; a message is never ended. */
    void close();

    /** The answer to the client's HELO/EHLO. */
    sealed interface Introduction {
        /** The next hop answered this client's HELO/EHLO. */
        record Answered(SmtpReply ehlo) implements Introduction {}

        /**
         * The client is answered at once from what the next hop answered before; its answer to this client comes
         * with the next request, which fails with {@link Refused} if it is a refusal.
         */
        record Known(ServerCapabilities capabilities) implements Introduction {}
    }

    /** Every server had its slots taken by connections already open: the client is to come back later. */
    final class Busy extends IOException {
        private final transient Decision refusal;

        public Busy(String what, Decision refusal) {
            super(what);
            this.refusal = refusal;
        }

        public Decision refusal() {
            return refusal;
        }
    }

    /** No server could be reached, or none took the client's introduction. */
    final class Unavailable extends IOException {
        public Unavailable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The next hop refused the HELO/EHLO that the client was answered early ({@link Introduction.Known}). */
    final class Refused extends IOException {
        private final transient SmtpReply ehlo;

        public Refused(SmtpReply ehlo) {
            super("the next hop refused the introduction: " + ehlo);
            this.ehlo = ehlo;
        }

        public SmtpReply ehlo() {
            return ehlo;
        }
    }
}
