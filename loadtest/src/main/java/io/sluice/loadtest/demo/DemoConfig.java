package io.sluice.loadtest.demo;

import java.util.Locale;

/**
 * The proxy configuration the demo runs: the embedded default (one Hazelcast member on loopback) with one inbound
 * listener, the demo's sink as its backend, one global message limit, and a short drain so that stopping is quick.
 */
record DemoConfig(int listenPort, int sinkPort, int clusterPort, int adminPort, int limit) {

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
}
