package io.sluice.policy.eval;

import io.sluice.config.Counted;
import io.sluice.config.LimitRule;
import io.sluice.config.RuleKey;
import io.sluice.config.RuleReply;
import io.sluice.policy.model.Facts;
import io.sluice.policy.override.LimitOverride;
import io.sluice.policy.ratelimit.BucketSpec;
import java.time.Duration;
import java.util.List;

/** A rate-limit rule ready for evaluation: its bucket shape, its overrides, its reply and how its keys read. */
public final class CompiledLimit {

    private final LimitRule rule;
    private final Shape shape;
    private final List<Shape> overrides;
    private final RuleReply reply;

    /** @param overrides the overrides of this rule, the first to match a request winning */
    CompiledLimit(LimitRule rule, List<LimitOverride> overrides) {
        this.rule = rule;
        this.shape = new Shape(rule, BucketSpec.of(rule), null);
        this.overrides = overrides.stream()
                .map(override -> new Shape(rule, shape.spec().scaled(override.spec().factor()), override))
                .toList();
        this.reply = rule.reply().orElseGet(() -> DefaultReplies.forLimit(rule));
    }

    public LimitRule rule() {
        return rule;
    }

    /** The bucket shape of the rule as written, without any override. */
    public BucketSpec spec() {
        return shape.spec();
    }

    RuleReply reply() {
        return reply;
    }

    /** Whether the rule counts one message per distinct key at RCPT (a recipient-side key or condition). */
    boolean oncePerTransaction() {
        return rule.counts() == Counted.MESSAGES && rule.stage() == RuleKey.Stage.RCPT;
    }

    /** What a request with these facts costs under this rule at {@code epochMillis}, or null if it does not apply. */
    Plan.Charge charge(Facts facts, long epochMillis) {
        if (!Keys.applies(rule.listeners(), rule.match(), rule.except(), facts)) {
            return null;
        }
        String value = Keys.value(rule.key(), rule.prefixes(), facts);
        if (value == null) {
            return null;
        }
        Shape in = shapeFor(facts, epochMillis);
        String shareKey = rule.fairShare().map(key -> Keys.value(key, rule.prefixes(), facts)).orElse(null);
        return new Plan.Charge(this, in.spec(), in.keyPrefix() + value, tokens(facts), in.override(), shareKey);
    }

    private Shape shapeFor(Facts facts, long epochMillis) {
        for (Shape candidate : overrides) {
            if (candidate.override().activeAt(epochMillis) && Keys.matches(candidate.override().spec().match(), facts)) {
                return candidate;
            }
        }
        return shape;
    }

    /** Tokens one request costs at the rule's stage. */
    private long tokens(Facts facts) {
        return rule.counts() == Counted.BYTES ? Math.max(1, facts.declaredSize()) : 1;
    }

    /**
     * One bucket shape of the rule and the prefix of its keys. The shape is part of the key: a changed rule or an
     * override starts with fresh buckets, never with state shaped by another.
     *
     * @param override the override the shape comes from; null for the rule as written
     */
    private record Shape(BucketSpec spec, String keyPrefix, LimitOverride override) {
        Shape(LimitRule rule, BucketSpec spec, LimitOverride override) {
            this(spec, rule.name() + "|" + spec.capacity() + "/" + spec.refillTokens() + "/"
                    + period(spec.refillPeriod()) + "|", override);
        }

        // Milliseconds, as rules are written; an override's stretched period may need nanoseconds.
        private static String period(Duration period) {
            return period.toNanos() % 1_000_000 == 0 ? String.valueOf(period.toMillis()) : period.toNanos() + "ns";
        }
    }
}
