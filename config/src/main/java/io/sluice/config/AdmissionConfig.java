package io.sluice.config;

import java.time.Duration;
import java.util.Objects;

/**
 * How many mail transactions may be in flight to a backend pool at once (between the MAIL sent to a backend and the
 * reply to its final dot), a limit each node adapts to how its backends answer.
 *
 * @param mode off (the default), shadow or adaptive
 * @param minInflight the limit never falls below this, however sick the backends look
 * @param maxInflight the limit never rises above this, however well the backends answer
 * @param initialInflight the limit before the backends have said anything
 * @param reply what a MAIL over the limit gets in adaptive mode; a 4xx, so that the client retries later
 * @param probeInterval how often, where the limit refused anything, the pool drains to min-inflight to learn the
 *     backends' unloaded time again
 */
public record AdmissionConfig(AdmissionMode mode, int minInflight, int maxInflight, int initialInflight,
                              RuleReply reply, Duration probeInterval) {

    public static final RuleReply DEFAULT_REPLY = new RuleReply(451, "4.3.2", "Busy, try again later");
    // Longer than the 5 minutes at its minimum the SluiceAdmissionAtMinimum alert waits: a pool whose backends are
    // sick alerts before a probe takes their slowness for their new normal.
    public static final Duration DEFAULT_PROBE_INTERVAL = Duration.ofMinutes(10);
    /** The shortest probe interval: a probe drains the pool for a few transactions' time. */
    public static final Duration LEAST_PROBE_INTERVAL = Duration.ofSeconds(1);
    public static final AdmissionConfig OFF = new AdmissionConfig(AdmissionMode.OFF, 4, 200, 20, DEFAULT_REPLY);

    /** With the default probe interval. */
    public AdmissionConfig(AdmissionMode mode, int minInflight, int maxInflight, int initialInflight,
                           RuleReply reply) {
        this(mode, minInflight, maxInflight, initialInflight, reply, DEFAULT_PROBE_INTERVAL);
    }

    public AdmissionConfig {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(reply, "reply");
        Objects.requireNonNull(probeInterval, "probeInterval");
        if (probeInterval.compareTo(LEAST_PROBE_INTERVAL) < 0) {
            throw new IllegalArgumentException("probe-interval: " + probeInterval + " (expected: at least "
                    + LEAST_PROBE_INTERVAL.toSeconds() + "s)");
        }
        if (minInflight < 1) {
            throw new IllegalArgumentException("min-inflight: " + minInflight + " (expected: >= 1)");
        }
        if (maxInflight < minInflight) {
            throw new IllegalArgumentException("max-inflight: " + maxInflight + " (expected: >= min-inflight, "
                    + minInflight + ")");
        }
        if (initialInflight < minInflight || initialInflight > maxInflight) {
            throw new IllegalArgumentException("initial-inflight: " + initialInflight + " (expected: between"
                    + " min-inflight and max-inflight, " + minInflight + "-" + maxInflight + ")");
        }
        if (reply.code() / 100 != 4) {
            throw new IllegalArgumentException("reply: " + reply + " (expected: a 4xx reply, so that the client"
                    + " retries)");
        }
    }

    public boolean enabled() {
        return mode != AdmissionMode.OFF;
    }
}
