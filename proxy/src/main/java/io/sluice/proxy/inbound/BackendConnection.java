package io.sluice.proxy.inbound;

import io.sluice.proxy.smtp.Request;
import io.sluice.proxy.smtp.ServerCapabilities;
import io.sluice.proxy.smtp.SmtpClientConnection;
import io.sluice.proxy.smtp.SmtpReply;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One SMTP connection to a backend of a pool, which may be kept between client sessions: it follows the backend's
 * transaction state and counts the sessions it served.
 */
final class BackendConnection extends SmtpClientConnection {

    private final BackendServer server;
    // The backend accepted MAIL and has not finished or reset the transaction since.
    private boolean inTransaction;
    private int uses;
    private ScheduledFuture<?> idleTimeout;

    BackendConnection(BackendServer server, Duration dataBlockTimeout) {
        super(server, dataBlockTimeout);
        this.server = server;
    }

    BackendServer server() {
        return server;
    }

    /** Records what the backend said in an EHLO reply, also as the server's last known capabilities. */
    @Override
    public void capabilities(ServerCapabilities capabilities) {
        super.capabilities(capabilities);
        server.lastCapabilities(capabilities);
    }

    /** Counts one more client session served by this connection. */
    void countUse() {
        uses++;
    }

    int uses() {
        return uses;
    }

    /** Whether an earlier client session used this connection already. */
    boolean reused() {
        return uses > 1;
    }

    /** Open, and with nothing of a client session left in it: no request, message or transaction. */
    boolean isReusable() {
        return isQuiet() && !inTransaction;
    }

    /** Parks the connection: it expires after {@code timeout}, and {@code lost} runs if the backend closes it. */
    void enterIdle(Duration timeout, Runnable expired, Runnable lost) {
        onLost(lost);
        onWritabilityChanged(writable -> { });
        idleTimeout = channel().eventLoop().schedule(expired, timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    void leaveIdle() {
        if (idleTimeout != null) {
            idleTimeout.cancel(false);
            idleTimeout = null;
        }
    }

    @Override
    protected void answered(Request request, SmtpReply reply) {
        if (request instanceof Request.Mail) {
            inTransaction |= reply.isPositive();
        } else if (request instanceof Request.EndOfData) {
            // The final reply ends the transaction whatever it says (RFC 5321 §4.1.1.4).
            inTransaction = false;
        } else if (request instanceof Request.Rset || request instanceof Request.Ehlo
                || request instanceof Request.Xclient) {
            inTransaction &= !reply.isPositive();
        }
    }
}
