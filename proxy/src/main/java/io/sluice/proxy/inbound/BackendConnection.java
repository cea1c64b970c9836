package io.sluice.proxy.inbound;

import io.sluice.proxy.smtp.Request;
import io.sluice.proxy.smtp.ServerCapabilities;
import io.sluice.proxy.smtp.SmtpClientConnection;
import io.sluice.proxy.smtp.SmtpReply;
import java.time.Duration;

/**
 * One SMTP connection to a backend of a pool, which may be kept between client sessions: it follows the backend's
 * transaction state and counts the sessions it served.
 */
final class BackendConnection extends SmtpClientConnection {

    private final BackendServer server;
    private final Admission admission;
    // The longest wait for a reply to a recipient and the wait for the reply to DATA, in the transaction under way.
    private long recipientsNanos;
    private long dataNanos;

    BackendConnection(BackendServer server, Duration dataBlockTimeout, Admission admission) {
        super(server, dataBlockTimeout);
        this.server = server;
        this.admission = admission;
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

    @Override
    protected void answered(Request request, SmtpReply reply, long latencyNanos) {
        if (admission.enabled()) {
            signal(request, reply, latencyNanos);
        }
    }

    @Override
    protected boolean timesReplies() {
        return admission.enabled();
    }

    /**
     * What the reply tells the pool's admission. A transaction's sample is the time the backend took over it: the
     * longest wait for a recipient's reply (those of a pipelined group overlap), then DATA's and the final dot's; so
     * one transaction is one sample whatever its recipients, and the client's upload is not in it.
     */
    private void signal(Request request, SmtpReply reply, long latencyNanos) {
        boolean pushedBack;
        if (request instanceof Request.Mail) {
            recipientsNanos = 0;
            dataNanos = 0;
            pushedBack = reply.isTransientFailure();
        } else if (request instanceof Request.Rcpt) {
            recipientsNanos = Math.max(recipientsNanos, latencyNanos);
            admission.replied(Admission.Stage.RCPT, latencyNanos);
            pushedBack = isLoadReply(reply);
        } else if (request instanceof Request.Data) {
            dataNanos = latencyNanos;
            admission.replied(Admission.Stage.DATA, latencyNanos);
            pushedBack = reply.isTransientFailure();
        } else if (request instanceof Request.EndOfData) {
            admission.replied(Admission.Stage.END_OF_DATA, latencyNanos);
            pushedBack = reply.isTransientFailure();
            if (!pushedBack) {
                admission.completed(recipientsNanos + dataNanos + latencyNanos);
            }
        } else {
            return;
        }
        if (pushedBack) {
            admission.dropped();
        }
    }

    /**
     * A recipient's 4xx says the backend is loaded only as 421 or with a mail-system or network status (RFC 3463
     * §3.4, §3.5: 4.3.x, 4.4.x); greylisting (4.7.1), an address not verified yet (4.1.x) or too many recipients
     * (4.5.3) are about the recipient, and a backend that greylists would otherwise look sick all day.
     */
    private static boolean isLoadReply(SmtpReply reply) {
        if (reply.code() == 421) {
            return true;
        }
        if (!reply.isTransientFailure() || reply.lines().isEmpty()) {
            return false;
        }
        String first = reply.lines().get(0);
        return first.startsWith("4.3.") || first.startsWith("4.4.");
    }
}
