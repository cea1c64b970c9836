package io.sluice.policy.eval;

import io.sluice.config.Cidr;
import io.sluice.config.ConcurrencyRule;
import io.sluice.config.Counted;
import io.sluice.config.LimitRule;
import io.sluice.config.Rate;
import io.sluice.config.RuleKey;
import io.sluice.config.RuleMatch;
import io.sluice.config.RuleReply;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** Rules built by hand for tests: the defaults of {@link LimitRule#of}, with one part changed at a time. */
final class Rules {

    static final Rate TEN_PER_SECOND = new Rate(10, Duration.ofSeconds(1));

    private Rules() {
    }

    static LimitRule limit(String name, RuleKey key, Counted counts) {
        return LimitRule.of(name, key, counts, TEN_PER_SECOND, 10);
    }

    static LimitRule limit(String name, RuleKey key, Counted counts, Rate rate, long burst) {
        return LimitRule.of(name, key, counts, rate, burst);
    }

    static LimitRule listeners(LimitRule r, String... listeners) {
        return new LimitRule(r.name(), Set.of(listeners), r.key(), r.prefixes(), r.counts(), r.rate(), r.burst(),
                r.reply(), r.exceeded(), r.tarpit(), r.shadow(), r.match(), r.except(), r.sync());
    }

    static LimitRule match(LimitRule r, RuleMatch match) {
        return new LimitRule(r.name(), r.listeners(), r.key(), r.prefixes(), r.counts(), r.rate(), r.burst(),
                r.reply(), r.exceeded(), r.tarpit(), r.shadow(), match, r.except(), r.sync());
    }

    static LimitRule except(LimitRule r, RuleMatch except) {
        return new LimitRule(r.name(), r.listeners(), r.key(), r.prefixes(), r.counts(), r.rate(), r.burst(),
                r.reply(), r.exceeded(), r.tarpit(), r.shadow(), r.match(), except, r.sync());
    }

    static LimitRule shadow(LimitRule r) {
        return new LimitRule(r.name(), r.listeners(), r.key(), r.prefixes(), r.counts(), r.rate(), r.burst(),
                r.reply(), r.exceeded(), r.tarpit(), true, r.match(), r.except(), r.sync());
    }

    /** Over the limit, the command waits the tarpit and goes on. */
    static LimitRule delaying(LimitRule r, Duration tarpit) {
        return new LimitRule(r.name(), r.listeners(), r.key(), r.prefixes(), r.counts(), r.rate(), r.burst(),
                r.reply(), LimitRule.Exceeded.DELAY, tarpit, r.shadow(), r.match(), r.except(), r.sync());
    }

    /** Over the limit, the command waits the tarpit and is refused. */
    static LimitRule tarpit(LimitRule r, Duration tarpit) {
        return new LimitRule(r.name(), r.listeners(), r.key(), r.prefixes(), r.counts(), r.rate(), r.burst(),
                r.reply(), LimitRule.Exceeded.REFUSE, tarpit, r.shadow(), r.match(), r.except(), r.sync());
    }

    static LimitRule reply(LimitRule r, RuleReply reply) {
        return new LimitRule(r.name(), r.listeners(), r.key(), r.prefixes(), r.counts(), r.rate(), r.burst(),
                Optional.of(reply), r.exceeded(), r.tarpit(), r.shadow(), r.match(), r.except(), r.sync());
    }

    static ConcurrencyRule sessions(String name, RuleKey key, int max) {
        return ConcurrencyRule.of(name, key, max);
    }

    static ConcurrencyRule listeners(ConcurrencyRule r, String... listeners) {
        return new ConcurrencyRule(r.name(), Set.of(listeners), r.key(), r.prefixes(), r.max(), r.reply(), r.shadow(),
                r.match(), r.except());
    }

    static ConcurrencyRule shadow(ConcurrencyRule r) {
        return new ConcurrencyRule(r.name(), r.listeners(), r.key(), r.prefixes(), r.max(), r.reply(), true,
                r.match(), r.except());
    }

    static ConcurrencyRule except(ConcurrencyRule r, RuleMatch except) {
        return new ConcurrencyRule(r.name(), r.listeners(), r.key(), r.prefixes(), r.max(), r.reply(), r.shadow(),
                r.match(), except);
    }

    static RuleMatch clientNets(String... cidrs) {
        List<Cidr> nets = Arrays.stream(cidrs).map(Cidr::parse).toList();
        return new RuleMatch(nets, List.of(), List.of(), List.of(), List.of());
    }

    static RuleMatch helos(String... names) {
        return new RuleMatch(List.of(), List.of(names), List.of(), List.of(), List.of());
    }

    static RuleMatch senderDomains(String... domains) {
        return new RuleMatch(List.of(), List.of(), List.of(domains), List.of(), List.of());
    }

    static RuleMatch recipientDomains(String... domains) {
        return new RuleMatch(List.of(), List.of(), List.of(), List.of(domains), List.of());
    }
}
