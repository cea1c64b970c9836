package io.sluice.proxy.session;

import io.sluice.proxy.smtp.MailPath;

/**
 * The mail transaction under way in a session, from the next hop's yes to MAIL: a value, replaced whole as the
 * transaction moves on and by {@link #NONE} when it ends, so nothing of one transaction is left for the next.
 *
 * @param sender the sender the next hop accepted, or null for {@link #NONE}
 * @param startNanos when the next hop accepted MAIL
 * @param nextHopLost the next hop lost its half of the transaction; the client, still holding its half, gets
 *                    a tempfail at its next RCPT, DATA or final dot
 * @param size the octets of message content read
 */
record Transaction(MailPath sender, int recipients, long startNanos, boolean nextHopLost, long size) {

    static final Transaction NONE = new Transaction(null, 0, 0, false, 0);

    static Transaction opened(MailPath sender, long startNanos) {
        return new Transaction(sender, 0, startNanos, false, 0);
    }

    /** Whether the sender declared SMTPUTF8 (RFC 6531 §3.4), which allows UTF-8 in the recipients. */
    boolean utf8() {
        return sender != null && sender.parameters().containsKey("SMTPUTF8");
    }

    Transaction withRecipient() {
        return new Transaction(sender, recipients + 1, startNanos, nextHopLost, size);
    }

    Transaction lost() {
        return new Transaction(sender, recipients, startNanos, true, size);
    }

    Transaction withSize(long octets) {
        return new Transaction(sender, recipients, startNanos, nextHopLost, octets);
    }

    /** The record of the transaction, ended with {@code outcome} and the client's {@code reply} at {@code nanos}. */
    FinishedTransaction finish(String outcome, int reply, long nanos) {
        return new FinishedTransaction(sender == null ? "" : sender.domain(), recipients, size, outcome, reply,
                (nanos - startNanos) / 1_000_000);
    }
}
