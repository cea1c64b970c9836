package io.sluice.policy.eval;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.config.ConcurrencyRule;
import io.sluice.config.PolicyConfig;
import io.sluice.config.RuleKey;
import io.sluice.policy.PolicyMeters;
import io.sluice.policy.cluster.LimitStore;
import io.sluice.policy.ratelimit.ManualClock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class LocalPolicyStoreTest {

    private static final PolicyConfig ONE = policy("one");
    private static final PolicyConfig TWO = policy("two");

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final LimitStore limits = LimitStore.local(ManualClock.monotonic());
    private final PolicyEngine engine = new PolicyEngine(ONE, limits.limiter(), limits.leases(), registry);
    private final LocalPolicyStore store = new LocalPolicyStore(engine, registry);

    @Test
    void startsAtVersionOneWithTheEnginesPolicy() {
        assertThat(store.current()).isEqualTo(new VersionedPolicy(1, ONE));
        assertThat(registry.get(PolicyMeters.POLICY_VERSION.meterName()).gauge().value()).isEqualTo(1);
    }

    @Test
    void aReplacementOnTheCurrentVersionIsInForceAtOnce() {
        Optional<VersionedPolicy> replaced = store.replace(1, TWO).join();

        assertThat(replaced).contains(new VersionedPolicy(2, TWO));
        assertThat(store.current()).isEqualTo(new VersionedPolicy(2, TWO));
        assertThat(engine.policy().config()).isEqualTo(TWO);
        assertThat(registry.get(PolicyMeters.POLICY_VERSION.meterName()).gauge().value()).isEqualTo(2);
    }

    @Test
    void aReplacementOnAStaleVersionChangesNothing() {
        store.replace(1, TWO).join();

        assertThat(store.replace(1, ONE).join()).isEmpty();
        assertThat(store.replace(3, ONE).join()).isEmpty();
        assertThat(store.current()).isEqualTo(new VersionedPolicy(2, TWO));
        assertThat(engine.policy().config()).isEqualTo(TWO);
    }

    @Test
    void ofConcurrentReplacementsOnOneVersionExactlyOneWins() throws Exception {
        int threads = 8;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            for (int round = 1; round <= 50; round++) {
                long version = store.current().version();
                CountDownLatch start = new CountDownLatch(1);
                List<Future<Optional<VersionedPolicy>>> answers = new ArrayList<>();
                for (int i = 0; i < threads; i++) {
                    PolicyConfig policy = policy("round-" + round + "-thread-" + i);
                    answers.add(pool.submit(() -> {
                        start.await();
                        CompletableFuture<Optional<VersionedPolicy>> answer = store.replace(version, policy);
                        return answer.join();
                    }));
                }
                start.countDown();
                List<VersionedPolicy> winners = new ArrayList<>();
                for (Future<Optional<VersionedPolicy>> answer : answers) {
                    answer.get(10, TimeUnit.SECONDS).ifPresent(winners::add);
                }

                assertThat(winners).as("round %d", round).hasSize(1);
                assertThat(winners.get(0).version()).isEqualTo(version + 1);
                assertThat(store.current()).isEqualTo(winners.get(0));
                assertThat(engine.policy().config()).isEqualTo(winners.get(0).policy());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static PolicyConfig policy(String rule) {
        return new PolicyConfig(List.of(), List.of(ConcurrencyRule.of(rule, RuleKey.CLIENT_IP, 1)));
    }
}
