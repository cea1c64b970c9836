package io.sluice.loadtest.demo;

import java.util.Locale;

/**
 * The proxy configuration the demo runs: the embedded default (one Hazelcast member on loopback) with one inbound
 * listener, the demo's sink as its backend, one global message limit, and a short drain so that stopping is quick.
 */
record DemoConfig(int listenPort, int sinkPort, int clusterPort, int adminPort, int limit) {

    /** How the adaptive scenario's proxy admits: by the backend's replies, or by a rate an operator wrote down. */
    enum Admission {
        ADAPTIVE, STATIC;

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The reply over the limit, as the demo's summary shows it. */
    static final String REPLY = "451 4.7.1 Friday limit reached, try again later";

    String yaml() {
        return render(String.format(Locale.ROOT,
                "# Written by `sluice demo`: the embedded default with a global limit of %d messages/s.", limit), "",
                String.format(Locale.ROOT, """
                        policy:
                          limits:
                            # One global key takes every MAIL of the burst: batching merges a node's concurrent
                            # requests into one round trip to the bucket's owner, and never admits more than exact.
                            - { name: friday, key: global, counts: messages, rate: %1$d/1s, burst: %1$d, sync: batching,
                                reply: "%2$s" }""", limit, REPLY));
    }

    /**
     * The adaptive scenario's proxy: the same listener and cluster, the sink's pool with adaptive admission, or
     * admission off and a global rule of {@code limit} messages/s. Either refuses with a 4xx, so senders retry.
     */
    String yaml(Admission admission) {
        boolean adaptive = admission == Admission.ADAPTIVE;
        return render(String.format(Locale.ROOT, "# Written by `sluice demo --scenario adaptive`: %s admission in"
                        + " front of a backend whose capacity\n# steps down and up.", admission.label()),
                String.format(Locale.ROOT, ", xclient: false, admission: { mode: %s }", adaptive ? "adaptive" : "off"),
                adaptive ? "" : String.format(Locale.ROOT, """
                        policy:
                          limits:
                            - { name: static, key: global, counts: messages, rate: %d/1s, burst: %d,
                                reply: "451 4.7.1 Busy, try again later" }""", limit, limit));
    }

    /** The one template: a comment, the sink's pool with {@code poolOptions}, and {@code policy} (may be empty). */
    private String render(String comment, String poolOptions, String policy) {
        return String.format(Locale.ROOT, """
                %1$s
                smtp:
                  hostname: demo.sluice.test
                listeners:
                  - { name: mx, role: inbound, bind: "127.0.0.1:%2$d", backend-pool: sink }
                backends:
                  sink: { servers: ["127.0.0.1:%3$d"]%4$s }
                cluster:
                  mode: embedded
                  bind: "127.0.0.1:%5$d"
                %6$s
                admin:
                  bind: "127.0.0.1:%7$d"
                drain: { announce: 0s, timeout: 5s }
                """, comment, listenPort, sinkPort, poolOptions, clusterPort, policy, adminPort);
    }
}
