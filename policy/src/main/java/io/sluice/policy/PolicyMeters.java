package io.sluice.policy;

/** Every meter the policy engine publishes, in one place. Tag values are bounded: rule names, stages, outcomes. */
public enum PolicyMeters {

    /** Counter of rule evaluations; tags {@code rule}, {@code outcome}: admitted, refused, delayed, shadow_refused. */
    DECISIONS("sluice.limit.decisions"),
    /** Timer of the whole decision of one request (all its rules), with percentile histogram; tag {@code stage}. */
    DECISION_LATENCY("sluice.limit.decision.latency"),
    /** Gauge, 1 while limits fall back because the cluster does not answer in time, else 0. */
    CLUSTER_FALLBACK("sluice.cluster.fallback"),
    /** Counter of fallback episodes since start. */
    CLUSTER_FALLBACK_EPISODES("sluice.cluster.fallback.episodes"),
    /**
     * Counter of cluster entries (tag {@code kind}: policy, override, suspension, node-card, fair-share,
     * mta-sts-policy) that were not signed with the cluster secret, or were removed where nothing of Sluice removes,
     * and so were not applied.
     */
    CLUSTER_FORGED("sluice.cluster.forged"),
    /** Gauge of the Hazelcast members this node sees. */
    CLUSTER_MEMBERS("sluice.cluster.members"),
    /** Counter of transactions of returning deferred senders admitted: their first recipient accepted. */
    RETRY_ADMITTED("sluice.retry.admitted"),
    /** Counter of deferrals (a limit's 4xx at MAIL or RCPT) that left a mark on the client's network and sender. */
    RETRY_DEFERRALS("sluice.retry.deferrals"),
    /**
     * Timer, with percentile histogram, from a returning sender's first deferral to its admission; the first deferral
     * is known as the start of its generation, so each value is up to one generation long too long.
     */
    RETRY_DELAY("sluice.retry.delay"),
    /** Gauge of the bytes the marks of deferred senders take on this node. */
    RETRY_MARKS_MEMORY("sluice.retry.marks.memory"),
    /**
     * Counter of requests refused for being over their client network's fair share of a tight bucket (by a shadow
     * rule: counted only); tag {@code rule}. They are among the rule's {@code refused} decisions too.
     */
    FAIR_SHARE_REFUSED("sluice.limit.fairshare.refused"),
    /** Gauge of the version of the policy in force on this node: 1 for the configuration file's. */
    POLICY_VERSION("sluice.policy.version");

    private final String meterName;

    PolicyMeters(String meterName) {
        this.meterName = meterName;
    }

    public String meterName() {
        return meterName;
    }
}
