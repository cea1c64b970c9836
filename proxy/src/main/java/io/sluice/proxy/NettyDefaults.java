package io.sluice.proxy;

import java.util.Map;
import java.util.Properties;

/**
 * Netty settings whose defaults cost a relay more than they give, set before any Netty class reads them. An option
 * the operator gives ({@code -Dio.netty...} in {@code SLUICE_JAVA_OPTS}) wins. Measured with
 * {@code loadtest/bench/relay-ratio.sh}, many messages per connection: see the bench README, "Netty's recycler and
 * leak sampling". The benchmarks' byte pump ({@code loadtest/bench/lib/NettyPump.java}) starts with them too.
 */
public final class NettyDefaults {

    private static final Map<String, String> DEFAULTS = Map.of(
            // The recycler keeps the objects that wrap pooled buffers for reuse, returned through a queue per thread:
            // for the short-lived wrappers of a relay that costs more than allocating them afresh.
            "io.netty.recycler.maxCapacityPerThread", "0",
            // No leak detection in production: at its simple level it wraps one buffer in 128 and records where it
            // was allocated (a stack trace), and a relay allocates some 18 per message; sampled more rarely, the
            // wrapper's rare type made the JIT throw away the decoders' compiled code each time it came. The tests
            // run with paranoid leak detection (the POM); -Dio.netty.leakDetection.level=simple brings it back.
            "io.netty.leakDetection.level", "disabled");

    private NettyDefaults() {}

    /** Sets each default the JVM's properties do not already hold; call before any Netty class is loaded. */
    public static void apply() {
        apply(System.getProperties());
    }

    static void apply(Properties properties) {
        DEFAULTS.forEach(properties::putIfAbsent);
    }
}
