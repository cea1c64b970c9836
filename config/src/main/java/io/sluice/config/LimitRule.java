package io.sluice.config;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A token-bucket rate limit: each {@link #key()} value has its own bucket of {@link #burst()} tokens refilled
 * at {@link #rate()}, shared by every Sluice node of the cluster.
 *
 * @param name unique among all rules; names buckets, metrics and log lines
 * @param listeners the listeners the rule applies to; empty means every listener
 * @param key what the rule keeps one bucket per
 * @param prefixes network sizes, for the {@code client-net} key
 * @param counts what one token stands for
 * @param rate the refill rate
 * @param burst the bucket's capacity: how much may pass at once after a quiet spell
 * @param reply the reply when the bucket is empty; empty means the default for the stage
 * @param exceeded what happens when the bucket is empty
 * @param tarpit how long to wait before answering a command over the limit; zero answers at once
 * @param shadow count what the rule would have refused, without refusing anything
 * @param match conditions for the rule to apply
 * @param except exemptions: the rule does not apply where these hold
 * @param sync how closely the cluster-wide bucket is kept in step
 * @param fairShare what a global rule's bucket is shared fairly across ({@code client-net}, of {@link #prefixes()}):
 *     while the bucket is tight, a key over its max-min fair share of the rate gets the rule's reply; empty for none
 */
public record LimitRule(String name, Set<String> listeners, RuleKey key, NetPrefixes prefixes, Counted counts,
                        Rate rate, long burst, Optional<RuleReply> reply, Exceeded exceeded, Duration tarpit,
                        boolean shadow, RuleMatch match, RuleMatch except, BucketSync sync,
                        Optional<RuleKey> fairShare) {

    /** A rule without fair sharing. */
    public LimitRule(String name, Set<String> listeners, RuleKey key, NetPrefixes prefixes, Counted counts,
                     Rate rate, long burst, Optional<RuleReply> reply, Exceeded exceeded, Duration tarpit,
                     boolean shadow, RuleMatch match, RuleMatch except, BucketSync sync) {
        this(name, listeners, key, prefixes, counts, rate, burst, reply, exceeded, tarpit, shadow, match, except, sync,
                Optional.empty());
    }

    /** What a rule does with a command over its limit. */
    public enum Exceeded {
        /** Answer with the rule's reply (after the tarpit delay, if any). */
        REFUSE,
        /** Wait the tarpit delay, then let the command through: slows senders down without refusing them. */
        DELAY
    }

    public LimitRule {
        Objects.requireNonNull(name, "name");
        listeners = Set.copyOf(listeners);
        Objects.requireNonNull(key, "key");
        if (!key.countsRates()) {
            throw new IllegalArgumentException("key: " + key.yamlName() + " (expected: a key of a rate limit)");
        }
        Objects.requireNonNull(prefixes, "prefixes");
        Objects.requireNonNull(counts, "counts");
        Objects.requireNonNull(rate, "rate");
        if (burst < 1) {
            throw new IllegalArgumentException("burst: " + burst + " (expected: >= 1)");
        }
        Objects.requireNonNull(reply, "reply");
        Objects.requireNonNull(exceeded, "exceeded");
        Objects.requireNonNull(tarpit, "tarpit");
        if (tarpit.isNegative()) {
            throw new IllegalArgumentException("tarpit: " + tarpit + " (expected: >= 0)");
        }
        if (exceeded == Exceeded.DELAY && tarpit.isZero()) {
            throw new IllegalArgumentException("tarpit: 0 (expected: > 0 when exceeded is delay)");
        }
        Objects.requireNonNull(match, "match");
        Objects.requireNonNull(except, "except");
        Objects.requireNonNull(sync, "sync");
        Objects.requireNonNull(fairShare, "fairShare");
        if (fairShare.isPresent() && fairShare.get() != RuleKey.CLIENT_NET) {
            throw new IllegalArgumentException("fair-share: " + fairShare.get().yamlName() + " (expected: client-net)");
        }
        if (fairShare.isPresent() && key != RuleKey.GLOBAL) {
            throw new IllegalArgumentException("fair-share: client-net (expected: only on a rule whose key is global)");
        }
        if (counts == Counted.CONNECTIONS && key.knownFrom() != RuleKey.Stage.CONNECT) {
            throw new IllegalArgumentException("key: " + key.yamlName()
                    + " (expected: global, listener, client-ip or client-net for a rule counting connections)");
        }
        if (counts == Counted.CONNECTIONS && (match.knownFrom() != RuleKey.Stage.CONNECT
                || except.knownFrom() != RuleKey.Stage.CONNECT)) {
            throw new IllegalArgumentException(
                    "match: (expected: only client-net conditions for a rule counting connections)");
        }
        // The static form: stage() would read the fields, which are not assigned until the compact constructor ends.
        if (counts == Counted.BYTES && stage(counts, key, match, except) != RuleKey.Stage.MAIL) {
            throw new IllegalArgumentException("key: " + key.yamlName()
                    + " (expected: a key and conditions known by MAIL for a rule counting bytes)");
        }
    }

    /**
     * The stage at which a token is charged: as soon as what is counted, the key and the conditions are all known.
     */
    public RuleKey.Stage stage() {
        return stage(counts, key, match, except);
    }

    private static RuleKey.Stage stage(Counted counts, RuleKey key, RuleMatch match, RuleMatch except) {
        RuleKey.Stage counted = switch (counts) {
            case CONNECTIONS -> RuleKey.Stage.CONNECT;
            case MESSAGES, BYTES -> RuleKey.Stage.MAIL;
            case RECIPIENTS -> RuleKey.Stage.RCPT;
        };
        return RuleKey.Stage.latest(counted, key.knownFrom(), match.knownFrom(), except.knownFrom());
    }

    /** A rule with every optional part at its default, for code and tests that build policies by hand. */
    public static LimitRule of(String name, RuleKey key, Counted counts, Rate rate, long burst) {
        return new LimitRule(name, Set.of(), key, NetPrefixes.DEFAULT, counts, rate, burst, Optional.empty(),
                Exceeded.REFUSE, Duration.ZERO, false, RuleMatch.NONE, RuleMatch.NONE, BucketSync.AUTO);
    }
}
