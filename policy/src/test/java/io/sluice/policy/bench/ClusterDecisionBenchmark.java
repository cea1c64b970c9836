package io.sluice.policy.bench;

import java.util.Optional;
import io.sluice.testing.TestSecrets;
import com.hazelcast.cluster.Member;
import com.hazelcast.map.IMap;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.config.BucketSync;
import io.sluice.config.ClusterConfig;
import io.sluice.config.Counted;
import io.sluice.config.HostPort;
import io.sluice.config.LimitRule;
import io.sluice.config.PolicyConfig;
import io.sluice.config.Rate;
import io.sluice.config.RuleKey;
import io.sluice.policy.cluster.HazelcastCallbacks;
import io.sluice.policy.cluster.LimitStore;
import io.sluice.policy.eval.PolicyEngine;
import io.sluice.policy.eval.SessionLimits;
import io.sluice.policy.model.Decision;
import io.sluice.policy.model.Facts;
import io.sluice.testing.TestPorts;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Latency of one decision in a two-member cluster on loopback when the bucket's key is owned by the other
 * member: one entry-processor round trip with {@code exact} sync, the cost every remote-owned decision pays, and
 * less with the syncs that answer from a local copy. {@code -p owner=local} measures a key this member owns, for
 * comparison; {@code -p sync=exact,batching,delaying,predicting,auto} the rule's sync modes side by side (delaying and
 * predicting with their defaults, 10 tokens and 100 ms); {@code -p bucket=large} a bucket that never runs dry instead
 * of a small one that mostly refuses.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Threads(1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g", "--add-opens", "java.base/java.lang=ALL-UNNAMED",
        "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
public class ClusterDecisionBenchmark {

    static {
        // As sluice run does first thing, so that the decision's callbacks run where they run in the proxy.
        HazelcastCallbacks.useAPool();
    }

    /** Which member owns the bucket's key: {@code remote} (the case to measure) or {@code local}. */
    @Param({"remote"})
    public String owner;

    /** The rule's sync: {@code auto}, {@code exact}, {@code batching}, {@code delaying} or {@code predicting}. */
    @Param({"auto"})
    public String sync;

    /**
     * The rule's bucket: {@code small}, 200/s with a burst of 20 (as {@link SyncAccuracy}'s, auto's least setting:
     * 10 tokens per node), which the benchmark empties, so that most decisions refuse; {@code large}, a billion a
     * second, which never refuses (auto: a million tokens per node).
     */
    @Param({"small"})
    public String bucket;

    private LimitStore local;
    private LimitStore remote;
    private SessionLimits session;
    private String remoteSender;
    private String remoteKey;
    private IMap<String, byte[]> map;

    @Setup
    public void setUp() throws Exception {
        if (!HazelcastCallbacks.onAPool()) {
            throw new IllegalStateException("the common pool was in use before the benchmark could size it");
        }
        List<HostPort> members = List.of(new HostPort("127.0.0.1", TestPorts.freeOnLoopback()),
                new HostPort("127.0.0.1", TestPorts.freeOnLoopback()));
        String name = "bench-" + UUID.randomUUID();
        local = LimitStore.open(cluster(name, members.get(0), members), new SimpleMeterRegistry());
        remote = LimitStore.open(cluster(name, members.get(1), members), new SimpleMeterRegistry());
        PolicyConfig policy = new PolicyConfig(List.of(rule()), List.of());
        PolicyEngine engine = new PolicyEngine(policy, local.limiter(), local.leases(), new SimpleMeterRegistry());
        session = engine.openSession("mx", InetAddress.getByName("198.51.100.7"));
        remoteSender = senderOwnedBy(engine, owner.equals("local")
                ? local.node().orElseThrow().hazelcast().getCluster().getLocalMember()
                : remote.node().orElseThrow().hazelcast().getCluster().getLocalMember());
        session.mail(remoteSender, 0).join();
        map = local.node().orElseThrow().hazelcast().getMap("sluice-buckets");
        remoteKey = engine.policy().plan(RuleKey.Stage.MAIL, Facts.connect("mx", InetAddress.getByName("198.51.100.7"))
                .withSender(remoteSender, 0)).charges().get(0).bucketKey();
    }

    private LimitRule rule() {
        long rate = switch (bucket) {
            case "small" -> 200;
            case "large" -> 1_000_000_000L;
            default -> throw new IllegalArgumentException("bucket: " + bucket + " (expected: small or large)");
        };
        LimitRule rule = LimitRule.of("per-sender-domain", RuleKey.SENDER_DOMAIN, Counted.MESSAGES,
                new Rate(rate, Duration.ofSeconds(1)), bucket.equals("small") ? 20 : rate);
        BucketSync.Mode mode = BucketSync.Mode.valueOf(sync.toUpperCase(Locale.ROOT));
        BucketSync chosen = mode == BucketSync.Mode.DELAYING || mode == BucketSync.Mode.PREDICTING
                ? new BucketSync(mode, 10, Duration.ofMillis(100))
                : new BucketSync(mode, 1, Duration.ofMillis(100));
        return new LimitRule(rule.name(), rule.listeners(), rule.key(), rule.prefixes(), rule.counts(), rule.rate(),
                rule.burst(), rule.reply(), rule.exceeded(), rule.tarpit(), rule.shadow(), rule.match(), rule.except(),
                chosen);
    }

    /** A sender whose domain's bucket lives on {@code wanted}. */
    private String senderOwnedBy(PolicyEngine engine, Member wanted) throws Exception {
        var partitions = local.node().orElseThrow().hazelcast().getPartitionService();
        local.node().orElseThrow().hazelcast().getMap("sluice-buckets").containsKey("assign partitions");
        for (int i = 0; ; i++) {
            String sender = "sender@domain" + i + ".example";
            Facts facts = Facts.connect("mx", InetAddress.getByName("198.51.100.7")).withSender(sender, 0);
            String key = engine.policy().plan(RuleKey.Stage.MAIL, facts).charges().get(0).bucketKey();
            if (wanted.equals(partitions.getPartition(key).getOwner())) {
                return sender;
            }
        }
    }

    @Benchmark
    public Decision mail() throws InterruptedException {
        return Parked.await(session.mail(remoteSender, 0));
    }

    /** The floor under {@link #mail()}: a plain read of a key the other member owns, one round trip too. */
    @Benchmark
    public Object remoteGet() throws InterruptedException {
        return Parked.await(map.getAsync(remoteKey).toCompletableFuture());
    }

    @TearDown
    public void tearDown() {
        local.close();
        remote.close();
    }

    private static ClusterConfig cluster(String name, HostPort bind, List<HostPort> members) {
        return new ClusterConfig(ClusterConfig.Mode.EMBEDDED, name, bind, ClusterConfig.Discovery.TCP_IP, members, "",
                ClusterConfig.OnUnavailable.LOCAL_FALLBACK, Duration.ofSeconds(5), 1, Duration.ofSeconds(30),
                Optional.empty(), Optional.of(TestSecrets.CLUSTER), Optional.empty());
    }
}
