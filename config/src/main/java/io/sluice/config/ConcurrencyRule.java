package io.sluice.config;

import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A limit on open sessions: at most {@link #max()} sessions per key value at once, across the cluster. Each
 * session holds a lease that its node renews; a node that dies stops renewing, so its slots come back.
 *
 * @param name unique among all rules
 * @param listeners the listeners the rule applies to; empty means every listener
 * @param key global, listener, client-ip, client-net; or backend-server, destination-site or source-site: at most
 *     {@code max} connections from Sluice to each backend server, destination site or pair of source and site, held
 *     while open (kept idle for reuse too)
 * @param prefixes network sizes, for the {@code client-net} key
 * @param max most sessions at once per key value
 * @param reply the reply to a session over the limit; empty means {@code 421 4.7.0}
 * @param shadow count what the rule would have refused, without refusing anything
 * @param match conditions for the rule to apply
 * @param except exemptions
 */
public record ConcurrencyRule(String name, Set<String> listeners, RuleKey key, NetPrefixes prefixes, int max,
                              Optional<RuleReply> reply, boolean shadow, RuleMatch match, RuleMatch except) {

    public ConcurrencyRule {
        Objects.requireNonNull(name, "name");
        listeners = Set.copyOf(listeners);
        Objects.requireNonNull(key, "key");
        if (key.knownFrom() != RuleKey.Stage.CONNECT && !key.countsConnections()) {
            throw new IllegalArgumentException("key: " + key.yamlName() + " (expected: global, listener, client-ip,"
                    + " client-net, backend-server, destination-site or source-site)");
        }
        Objects.requireNonNull(prefixes, "prefixes");
        if (max < 1) {
            throw new IllegalArgumentException("max: " + max + " (expected: >= 1)");
        }
        Objects.requireNonNull(reply, "reply");
        Objects.requireNonNull(match, "match");
        Objects.requireNonNull(except, "except");
        if (match.knownFrom() != RuleKey.Stage.CONNECT || except.knownFrom() != RuleKey.Stage.CONNECT) {
            throw new IllegalArgumentException("match: (expected: only client-net conditions)");
        }
        if (key.countsConnections() && !(match.isEmpty() && except.isEmpty())) {
            throw new IllegalArgumentException("match: (expected: none for a " + key.yamlName() + " rule)");
        }
    }

    /** A rule with every optional part at its default, for code and tests that build policies by hand. */
    public static ConcurrencyRule of(String name, RuleKey key, int max) {
        return new ConcurrencyRule(name, Set.of(), key, NetPrefixes.DEFAULT, max, Optional.empty(), false,
                RuleMatch.NONE, RuleMatch.NONE);
    }
}
