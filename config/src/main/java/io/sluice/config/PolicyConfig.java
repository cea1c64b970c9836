package io.sluice.config;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The flow-control policy: rate limits on what clients do, and concurrency limits on how many sessions they hold.
 *
 * @param limits token-bucket rules, in file order
 * @param concurrency session-count rules, in file order
 * @param retryPriority how deferred senders come back first
 */
public record PolicyConfig(List<LimitRule> limits, List<ConcurrencyRule> concurrency, RetryPriority retryPriority) {

    /** No limits at all: everything is admitted. */
    public static final PolicyConfig EMPTY = new PolicyConfig(List.of(), List.of());

    /** Rules with the default retry priority. */
    public PolicyConfig(List<LimitRule> limits, List<ConcurrencyRule> concurrency) {
        this(limits, concurrency, RetryPriority.DEFAULT);
    }

    public PolicyConfig {
        limits = List.copyOf(limits);
        concurrency = List.copyOf(concurrency);
        Objects.requireNonNull(retryPriority, "retryPriority");
        // Names key buckets, metrics and log lines, so one name is one rule.
        Set<String> names = new HashSet<>();
        for (LimitRule rule : limits) {
            if (!names.add(rule.name())) {
                throw new IllegalArgumentException("rule name " + rule.name() + " (expected: unique)");
            }
        }
        for (ConcurrencyRule rule : concurrency) {
            if (!names.add(rule.name())) {
                throw new IllegalArgumentException("rule name " + rule.name() + " (expected: unique)");
            }
        }
    }

    /** Every rule's name: the limits', then the concurrency rules', each in file order. */
    public List<String> ruleNames() {
        List<String> names = new ArrayList<>();
        limits.forEach(rule -> names.add(rule.name()));
        concurrency.forEach(rule -> names.add(rule.name()));
        return names;
    }

    public boolean isEmpty() {
        return limits.isEmpty() && concurrency.isEmpty();
    }
}
