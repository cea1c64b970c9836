package io.sluice.policy.eval;

import io.sluice.config.ConcurrencyRule;
import io.sluice.config.RuleReply;
import io.sluice.policy.model.Facts;
import io.sluice.policy.override.LimitOverride;
import java.util.List;

/** A concurrency rule ready for evaluation, with its overrides. */
public final class CompiledConcurrency {

    private final ConcurrencyRule rule;
    private final List<LimitOverride> overrides;
    private final RuleReply reply;

    /** @param overrides the overrides of this rule, the first to match a session winning */
    CompiledConcurrency(ConcurrencyRule rule, List<LimitOverride> overrides) {
        this.rule = rule;
        this.overrides = List.copyOf(overrides);
        this.reply = rule.reply().orElse(switch (rule.key()) {
            case BACKEND_SERVER -> DefaultReplies.BACKENDS_BUSY;
            case DESTINATION_SITE, SOURCE_SITE -> DefaultReplies.SITE_BUSY;
            default -> DefaultReplies.TOO_MANY_SESSIONS;
        });
    }

    public ConcurrencyRule rule() {
        return rule;
    }

    RuleReply reply() {
        return reply;
    }

    /**
     * The slot a session with these facts holds under this rule at {@code epochMillis}, or null if it does not
     * apply. An override changes the most sessions per key, not the key: sessions already open keep counting.
     */
    Plan.Hold hold(Facts facts, long epochMillis) {
        if (!Keys.applies(rule.listeners(), rule.match(), rule.except(), facts)) {
            return null;
        }
        String value = Keys.value(rule.key(), rule.prefixes(), facts);
        if (value == null) {
            return null;
        }
        String key = rule.name() + "|" + value;
        for (LimitOverride override : overrides) {
            if (override.activeAt(epochMillis) && Keys.matches(override.spec().match(), facts)) {
                int max = (int) Math.max(1, Math.min(Integer.MAX_VALUE, Math.round(rule.max() * override.spec().factor())));
                return new Plan.Hold(this, key, max, override);
            }
        }
        return new Plan.Hold(this, key, rule.max(), null);
    }
}
