package io.sluice.policy.eval;

import io.sluice.config.ConcurrencyRule;
import io.sluice.config.RuleReply;
import io.sluice.policy.model.Facts;

/** A concurrency rule ready for evaluation. */
public final class CompiledConcurrency {

    private final ConcurrencyRule rule;
    private final RuleReply reply;

    CompiledConcurrency(ConcurrencyRule rule) {
        this.rule = rule;
        this.reply = rule.reply().orElse(DefaultReplies.TOO_MANY_SESSIONS);
    }

    public ConcurrencyRule rule() {
        return rule;
    }

    RuleReply reply() {
        return reply;
    }

    /** The lease key for these facts, or null when the rule does not apply to them. */
    String leaseKey(Facts facts) {
        if (!Keys.applies(rule.listeners(), rule.match(), rule.except(), facts)) {
            return null;
        }
        return rule.name() + "|" + Keys.value(rule.key(), rule.prefixes(), facts);
    }
}
