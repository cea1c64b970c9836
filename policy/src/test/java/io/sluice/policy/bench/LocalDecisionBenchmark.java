package io.sluice.policy.bench;

import io.github.bucket4j.TimeMeter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.config.ConcurrencyRule;
import io.sluice.config.Counted;
import io.sluice.config.LimitRule;
import io.sluice.config.PolicyConfig;
import io.sluice.config.Rate;
import io.sluice.config.RuleKey;
import io.sluice.policy.cluster.LimitStore;
import io.sluice.policy.eval.PolicyEngine;
import io.sluice.policy.eval.SessionLimits;
import io.sluice.policy.model.Decision;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Decisions per second on one thread with the local limiter: a MAIL decided against two rules (per client
 * network and global), as the proxy asks it for every transaction.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(1)
@Fork(value = 1, jvmArgsAppend = "-Xmx512m")
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class LocalDecisionBenchmark {

    private SessionLimits session;

    @Setup
    public void setUp() throws Exception {
        // Rates high enough that the decisions are admissions, the common case outside a burst.
        PolicyConfig policy = new PolicyConfig(List.of(
                LimitRule.of("per-net", RuleKey.CLIENT_NET, Counted.MESSAGES, new Rate(1_000_000_000L, Duration.ofSeconds(1)), 1_000_000_000L),
                LimitRule.of("friday", RuleKey.GLOBAL, Counted.MESSAGES, new Rate(1_000_000_000L, Duration.ofSeconds(1)), 1_000_000_000L)),
                List.of(ConcurrencyRule.of("sessions-per-ip", RuleKey.CLIENT_IP, 20)));
        LimitStore store = LimitStore.local(TimeMeter.SYSTEM_NANOTIME);
        PolicyEngine engine = new PolicyEngine(policy, store.limiter(), store.leases(), new SimpleMeterRegistry());
        session = engine.openSession("mx", InetAddress.getByName("198.51.100.7"));
        session.connect().join();
    }

    @Benchmark
    public Decision mail() {
        return session.mail("sender@example.org", 0).join();
    }
}
