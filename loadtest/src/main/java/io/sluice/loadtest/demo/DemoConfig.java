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
        return String.format(Locale.ROOT, """
                # Written by `sluice demo`: the embedded default with a global limit of %1$d messages/s.
                smtp:
                  hostname: demo.sluice.test
                listeners:
                  - { name: mx, role: inbound, bind: "127.0.0.1:%2$d", backend-pool: sink }
                backends:
                  sink: { servers: ["127.0.0.1:%3$d"] }
                cluster:
                  mode: embedded
                  bind: "127.0.0.1:%4$d"
                policy:
                  limits:
                    # One global key takes every MAIL of the burst: batching merges a node's concurrent
                    # requests into one round trip to the bucket's owner, and never admits more than exact.
                    - { name: friday, key: global, counts: messages, rate: %1$d/1s, burst: %1$d, sync: batching,
                        reply: "%5$s" }
                admin:
                  bind: "127.0.0.1:%6$d"
                drain: { announce: 0s, timeout: 5s }
                """, limit, listenPort, sinkPort, clusterPort, REPLY, adminPort);
    }

    /**
     * The adaptive scenario's proxy: the same listener and cluster, the sink's pool with adaptive admission, or
     * admission off and a global rule of {@code limit} messages/s. Either refuses with a 4xx, so senders retry.
     */
    String yaml(Admission admission) {
        boolean adaptive = admission == Admission.ADAPTIVE;
        return String.format(Locale.ROOT, """
                # Written by `sluice demo --scenario adaptive`: %1$s admission in front of a backend whose capacity
                # steps down and up.
                smtp:
                  hostname: demo.sluice.test
                listeners:
                  - { name: mx, role: inbound, bind: "127.0.0.1:%2$d", backend-pool: sink }
                backends:
                  sink: { servers: ["127.0.0.1:%3$d"], xclient: false, admission: { mode: %4$s } }
                cluster:
                  mode: embedded
                  bind: "127.0.0.1:%5$d"
                %6$s
                admin:
                  bind: "127.0.0.1:%7$d"
                drain: { announce: 0s, timeout: 5s }
                """, admission.label(), listenPort, sinkPort, adaptive ? "adaptive" : "off", clusterPort,
                adaptive ? "" : String.format(Locale.ROOT, """
                        policy:
                          limits:
                            - { name: static, key: global, counts: messages, rate: %d/1s, burst: %d,
                                reply: "451 4.7.1 Busy, try again later" }""", limit, limit),
                adminPort);
    }
}
