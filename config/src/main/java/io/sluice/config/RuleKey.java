package io.sluice.config;

import java.util.Locale;

/** What a limit rule keeps one bucket (or one session count) per. */
public enum RuleKey {
    /** One bucket for everything the rule matches, across the cluster. */
    GLOBAL(Stage.CONNECT),
    /** One per listener the rule applies to. */
    LISTENER(Stage.CONNECT),
    CLIENT_IP(Stage.CONNECT),
    /** One per client network, of the rule's prefix lengths. */
    CLIENT_NET(Stage.CONNECT),
    HELO(Stage.HELO),
    SENDER(Stage.MAIL),
    SENDER_DOMAIN(Stage.MAIL),
    RECIPIENT(Stage.RCPT),
    RECIPIENT_DOMAIN(Stage.RCPT),
    /** Outbound: the domain a message is delivered to. */
    DESTINATION_DOMAIN(Stage.RCPT),
    /** Outbound: the egress pool chosen for the message. */
    EGRESS_POOL(Stage.RCPT),
    /** Outbound: the source address chosen for the message. */
    EGRESS_SOURCE(Stage.RCPT),
    /**
     * Inbound: the backend server a connection goes to, as {@code pool/host:port}. Only concurrency rules count
     * per backend server: a slot is held while Sluice has a connection open to it.
     */
    BACKEND_SERVER(Stage.CONNECT),
    /**
     * Outbound: the destination site, the receivers a message goes to (by MX host suffix, see
     * {@link EgressSite}). A concurrency rule counts Sluice's connections open to the site, kept idle ones too.
     */
    DESTINATION_SITE(Stage.RCPT),
    /** Outbound: the pair of the source address and the destination site; concurrency as for the site. */
    SOURCE_SITE(Stage.RCPT);

    /** The session stages in order; a fact known at one stage stays known at every later one. */
    public enum Stage {
        CONNECT, HELO, MAIL, RCPT, DATA;

        public static Stage latest(Stage first, Stage... others) {
            Stage latest = first;
            for (Stage other : others) {
                if (other.compareTo(latest) > 0) {
                    latest = other;
                }
            }
            return latest;
        }
    }

    private final Stage knownFrom;

    RuleKey(Stage knownFrom) {
        this.knownFrom = knownFrom;
    }

    /** The first stage at which the key's value is known. */
    public Stage knownFrom() {
        return knownFrom;
    }

    /** Whether rate limits may count per this key; a backend server is chosen per connection, not per request. */
    public boolean countsRates() {
        return this != BACKEND_SERVER;
    }

    /**
     * Whether a concurrency rule on this key counts Sluice's own connections to a server (held while open, kept
     * idle ones too) rather than client sessions.
     */
    public boolean countsConnections() {
        return this == BACKEND_SERVER || this == DESTINATION_SITE || this == SOURCE_SITE;
    }

    /** The name used in YAML, such as {@code client-net}. */
    public String yamlName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
