package io.sluice.policy.model;

import io.sluice.config.RuleReply;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * The answer of the policy to one request: admit (perhaps after a delay), or refuse with a reply. Turned into
 * SMTP only at the edge.
 *
 * @param admitted whether the command goes on
 * @param rule the rule that refused or delayed, if any
 * @param reply the reply for a refusal; null when admitted
 * @param delay how long to wait before answering (tarpit), for both outcomes
 * @param retryAfter when refused, how long until the limit would let it through (the retry hint)
 */
public record Decision(boolean admitted, Optional<String> rule, RuleReply reply, Duration delay,
                       Duration retryAfter) {

    public static final Decision ADMIT = new Decision(true, Optional.empty(), null, Duration.ZERO, Duration.ZERO);

    public Decision {
        Objects.requireNonNull(rule, "rule");
        if (!admitted) {
            Objects.requireNonNull(reply, "reply");
        }
        Objects.requireNonNull(delay, "delay");
        Objects.requireNonNull(retryAfter, "retryAfter");
    }

    public static Decision refuse(String rule, RuleReply reply, Duration delay, Duration retryAfter) {
        return new Decision(false, Optional.of(rule), reply, delay, retryAfter);
    }

    public static Decision delay(String rule, Duration delay) {
        return new Decision(true, Optional.of(rule), null, delay, Duration.ZERO);
    }

    /** Whether the connection is to be closed after the reply: every refusal of a connection, and any 421. */
    public boolean closes(boolean connectionStage) {
        return !admitted && (connectionStage || reply.closesConnection());
    }
}
