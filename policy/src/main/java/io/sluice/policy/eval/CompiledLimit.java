package io.sluice.policy.eval;

import io.sluice.config.Counted;
import io.sluice.config.LimitRule;
import io.sluice.config.RuleKey;
import io.sluice.config.RuleReply;
import io.sluice.policy.model.Facts;
import io.sluice.policy.ratelimit.BucketSpec;

/** A rate-limit rule ready for evaluation: its bucket shape, reply and the prefix of its bucket keys. */
public final class CompiledLimit {

    private final LimitRule rule;
    private final BucketSpec spec;
    private final RuleReply reply;
    private final String keyPrefix;

    CompiledLimit(LimitRule rule) {
        this.rule = rule;
        this.spec = BucketSpec.of(rule);
        this.reply = rule.reply().orElseGet(() -> DefaultReplies.forLimit(rule));
        // The bucket's shape is part of its key: a changed rule starts with fresh buckets, never with
        // state shaped by the old one.
        this.keyPrefix = rule.name() + "|" + spec.capacity() + "/" + spec.refillTokens() + "/"
                + spec.refillPeriod().toMillis() + "|";
    }

    public LimitRule rule() {
        return rule;
    }

    public BucketSpec spec() {
        return spec;
    }

    RuleReply reply() {
        return reply;
    }

    /** Whether the rule counts one message per distinct key at RCPT (a recipient-side key or condition). */
    boolean oncePerTransaction() {
        return rule.counts() == Counted.MESSAGES && rule.stage() == RuleKey.Stage.RCPT;
    }

    /** The bucket key for these facts, or null when the rule does not apply to them. */
    String bucketKey(Facts facts) {
        if (!Keys.applies(rule.listeners(), rule.match(), rule.except(), facts)) {
            return null;
        }
        String value = Keys.value(rule.key(), rule.prefixes(), facts);
        return value == null ? null : keyPrefix + value;
    }

    /** Tokens one request costs at the rule's stage. */
    long tokens(Facts facts) {
        return rule.counts() == Counted.BYTES ? Math.max(1, facts.declaredSize()) : 1;
    }
}
