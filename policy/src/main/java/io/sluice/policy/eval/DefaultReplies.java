package io.sluice.policy.eval;

import io.sluice.config.Counted;
import io.sluice.config.LimitRule;
import io.sluice.config.RuleReply;

/** The replies of rules that do not set their own: temporary failures, so senders queue and retry. */
final class DefaultReplies {

    // RFC 3463: X.7.0 other security or policy status; 421 closes the connection (RFC 5321 §3.8).
    static final RuleReply TOO_MANY_CONNECTIONS =
            new RuleReply(421, "4.7.0", "Too many connections, try again later");
    static final RuleReply TOO_MANY_SESSIONS =
            new RuleReply(421, "4.7.0", "Too many concurrent sessions, try again later");
    // X.3.2: the system is not accepting messages now; the backends are at the connections they may take.
    static final RuleReply BACKENDS_BUSY = new RuleReply(421, "4.3.2", "Backends busy, try again later");
    // X.4.5: mail system congestion; Sluice has the connections to the destination site it may open. At RCPT, so the
    // MTA keeps the message for later.
    static final RuleReply SITE_BUSY =
            new RuleReply(451, "4.4.5", "Too many connections to the destination, try again later");
    // X.7.1: delivery not authorized now; the transaction is refused, the connection stays.
    static final RuleReply RATE_EXCEEDED = new RuleReply(451, "4.7.1", "Rate limit exceeded, try again later");
    // RFC 5321 §4.5.3.1.10: 452 for recipients over a limit, so the client sends the rest in a later transaction.
    static final RuleReply TOO_MANY_RECIPIENTS =
            new RuleReply(452, "4.5.3", "Too many recipients now, try the rest later");

    private DefaultReplies() {
    }

    static RuleReply forLimit(LimitRule rule) {
        return switch (rule.stage()) {
            case CONNECT -> TOO_MANY_CONNECTIONS;
            case RCPT -> rule.counts() == Counted.RECIPIENTS ? TOO_MANY_RECIPIENTS : RATE_EXCEEDED;
            default -> RATE_EXCEEDED;
        };
    }
}
