package io.sluice.proxy.session;

/**
 * One finished mail transaction, as written to the log and counted: never the full addresses, only the sender's
 * domain.
 *
 * @param outcome delivered, rejected (the next hop or we said no), failed (a fault), reset (by RSET, or HELO/EHLO),
 *                quit (QUIT before the message was done), aborted (the connection ended: closed by the client, timed
 *                out, or closed by us: too many errors or transactions, a 421 from the policy, no next hop reachable)
 * @param reply the reply code the client got for the message (0 when it got none)
 */
public record FinishedTransaction(String senderDomain, int recipients, long size, String outcome, int reply,
                                  long durationMillis) {}
