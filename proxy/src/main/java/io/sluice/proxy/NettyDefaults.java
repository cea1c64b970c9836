package io.sluice.proxy;

import java.util.Map;
import java.util.Properties;

/**
 * Netty settings whose defaults cost a relay more than they give, set before any Netty class reads them. An option
 * the operator gives ({@code -Dio.netty...} in {@code SLUICE_JAVA_OPTS}) wins. Measured with
 * {@code loadtest/bench/relay-ratio.sh}, many messages per connection: see the bench README, "Netty's recycler and
 * leak sampling".
 */
final class NettyDefaults {

    static final Map<String, String> DEFAULTS = Map.of(
            // The recycler keeps the objects that wrap pooled buffers for reuse, returned through a queue per thread:
            // for the short-lived wrappers of a relay that costs more than allocating them afresh.
            "io.netty.recycler.maxCapacityPerThread", "0",
            // Leak detection stays on, at its simple level, but records the allocation site (a stack trace) of one
            // buffer in 4096 rather than one in 128: a relay allocates some 18 buffers per message, so a buffer
            // leaked on any per-message path still shows within a few hundred messages.
            "io.netty.leakDetection.samplingInterval", "4096");

    private NettyDefaults() {}

    /** Sets each default the JVM's properties do not already hold; call before any Netty class is loaded. */
    static void apply() {
        apply(System.getProperties());
    }

    static void apply(Properties properties) {
        DEFAULTS.forEach(properties::putIfAbsent);
    }
}
