package io.sluice.proxy.relay;

import io.sluice.config.BucketSync;
import io.sluice.config.ConcurrencyRule;
import io.sluice.config.Counted;
import io.sluice.config.LimitRule;
import io.sluice.config.NetPrefixes;
import io.sluice.config.PolicyConfig;
import io.sluice.config.Rate;
import io.sluice.config.RuleKey;
import io.sluice.config.RuleMatch;
import io.sluice.config.RuleReply;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** Policies built in code for end-to-end tests. */
final class Rules {

    static final RuleReply BUSY = new RuleReply(451, "4.7.1", "Busy, try again later");

    private Rules() {
    }

    /** A rate limit with the given reply (or the stage's default), refusing when exceeded, never shadow. */
    static LimitRule limit(String name, RuleKey key, Counted counts, Rate rate, long burst, RuleReply reply) {
        return new LimitRule(name, Set.of(), key, NetPrefixes.DEFAULT, counts, rate, burst, Optional.ofNullable(reply),
                LimitRule.Exceeded.REFUSE, Duration.ZERO, false, RuleMatch.NONE, RuleMatch.NONE, BucketSync.EXACT);
    }

    /** The same rule with a tarpit delay before its refusal. */
    static LimitRule tarpit(LimitRule rule, Duration delay) {
        return new LimitRule(rule.name(), rule.listeners(), rule.key(), rule.prefixes(), rule.counts(), rule.rate(),
                rule.burst(), rule.reply(), rule.exceeded(), delay, rule.shadow(), rule.match(), rule.except(),
                rule.sync());
    }

    /** The same rule in shadow mode. */
    static LimitRule shadow(LimitRule rule) {
        return new LimitRule(rule.name(), rule.listeners(), rule.key(), rule.prefixes(), rule.counts(), rule.rate(),
                rule.burst(), rule.reply(), rule.exceeded(), rule.tarpit(), true, rule.match(), rule.except(),
                rule.sync());
    }

    static PolicyConfig policy(LimitRule... limits) {
        return new PolicyConfig(List.of(limits), List.of());
    }

    static PolicyConfig policy(ConcurrencyRule... rules) {
        return new PolicyConfig(List.of(), List.of(rules));
    }

    /** Tokens that never come back within a test. */
    static Rate perHour(long tokens) {
        return new Rate(tokens, Duration.ofHours(1));
    }
}
