package io.sluice.policy.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.config.BucketSync;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link RateLimiter} does, run against each implementation with a clock the test moves. The bucket
 * holds 10 tokens and refills greedily at 10 per second: one token every 100 ms.
 */
public abstract class RateLimiterContract {

    protected static final BucketSpec TEN_PER_SECOND = new BucketSpec(10, 10, Duration.ofSeconds(1), BucketSync.EXACT);
    private static final long TOKEN_NANOS = Duration.ofMillis(100).toNanos();

    private ManualClock clock;
    private RateLimiter limiter;
    private String key;

    /** A limiter of the implementation under test, reading the given clock. */
    protected abstract RateLimiter newLimiter(ManualClock clock);

    /** The clock the implementation accepts: a monotonic one, unless it insists on a wall clock (distributed buckets). */
    protected ManualClock newClock() {
        return ManualClock.monotonic();
    }

    /** A limiter of the implementation that keeps at most {@code maxBuckets} buckets, and how many it holds. */
    protected abstract Bounded newBoundedLimiter(ManualClock clock, int maxBuckets);

    /**
     * A limiter with a bound on its buckets, how many buckets it holds now, and what closing it frees (a cluster
     * member of its own).
     */
    public record Bounded(RateLimiter limiter, LongSupplier held, Runnable onClose) implements AutoCloseable {
        public long buckets() {
            return held.getAsLong();
        }

        @Override
        public void close() {
            onClose.run();
        }
    }

    @BeforeEach
    void newBucket() {
        clock = newClock();
        limiter = newLimiter(clock);
        // Buckets of an implementation may outlive one test (a shared cluster): every test has its own keys.
        key = "contract-" + UUID.randomUUID();
    }

    @Test
    void burstIsAdmittedThenRefused() {
        for (int i = 1; i <= 10; i++) {
            assertThat(consume(key, 1)).isEqualTo(new Probe(true, 10 - i, 0));
        }

        Probe refused = consume(key, 1);

        assertThat(refused.consumed()).isFalse();
        assertThat(refused.remaining()).isZero();
    }

    @Test
    void refillsOneTokenPerTenthOfTheRate() {
        drain(key);

        clock.advance(Duration.ofMillis(99));
        assertThat(consume(key, 1).consumed()).as("99 ms: not yet a whole token").isFalse();

        clock.advance(Duration.ofMillis(1));
        assertThat(consume(key, 1).consumed()).as("100 ms: one token").isTrue();
        assertThat(consume(key, 1).consumed()).as("only one").isFalse();

        clock.advance(Duration.ofMillis(450));
        assertThat(get(limiter.available(key, TEN_PER_SECOND))).as("450 ms: four tokens").isEqualTo(4);
    }

    @Test
    void neverRefillsAboveCapacity() {
        consume(key, 3);

        clock.advance(Duration.ofHours(1));

        assertThat(get(limiter.available(key, TEN_PER_SECOND))).isEqualTo(10);
        assertThat(consume(key, 11).consumed()).isFalse();
    }

    @Test
    void refusalSaysHowLongUntilTheTokensAreThere() {
        drain(key);

        assertThat(consume(key, 1).nanosToWait()).isEqualTo(TOKEN_NANOS);
        assertThat(consume(key, 3).nanosToWait()).isEqualTo(3 * TOKEN_NANOS);

        clock.advance(Duration.ofMillis(30));

        assertThat(consume(key, 1).nanosToWait()).as("a part of a token has refilled")
                .isEqualTo(TOKEN_NANOS - Duration.ofMillis(30).toNanos());
        assertThat(consume(key, 1).consumed()).isFalse();
    }

    @Test
    void admittedRequestNeedsNoWait() {
        assertThat(consume(key, 4).nanosToWait()).isZero();
    }

    @Test
    void refundGivesTokensBackButNeverAboveCapacity() {
        consume(key, 3);
        assertThat(get(limiter.available(key, TEN_PER_SECOND))).isEqualTo(7);

        get(limiter.refund(key, TEN_PER_SECOND, 2));
        assertThat(get(limiter.available(key, TEN_PER_SECOND))).isEqualTo(9);

        get(limiter.refund(key, TEN_PER_SECOND, 5));
        assertThat(get(limiter.available(key, TEN_PER_SECOND))).isEqualTo(10);
    }

    @Test
    void chargeGoesIntoDebtThatMustRefillBeforeTheNextAdmission() {
        get(limiter.charge(key, TEN_PER_SECOND, 15));

        assertThat(get(limiter.available(key, TEN_PER_SECOND))).isEqualTo(-5);
        Probe refused = consume(key, 1);
        assertThat(refused.consumed()).isFalse();
        assertThat(refused.nanosToWait()).as("five tokens of debt and the one asked for").isEqualTo(6 * TOKEN_NANOS);

        clock.advance(Duration.ofMillis(500));
        assertThat(consume(key, 1).consumed()).as("debt paid, nothing left").isFalse();

        clock.advance(Duration.ofMillis(100));
        assertThat(consume(key, 1).consumed()).isTrue();
    }

    @Test
    void chargeOfAFullBucketTakesTokensLikeAnyRequest() {
        get(limiter.charge(key, TEN_PER_SECOND, 4));

        assertThat(get(limiter.available(key, TEN_PER_SECOND))).isEqualTo(6);
    }

    @Test
    void resetStartsFull() {
        drain(key);
        get(limiter.charge(key, TEN_PER_SECOND, 20));

        get(limiter.reset(key));

        assertThat(get(limiter.available(key, TEN_PER_SECOND))).isEqualTo(10);
        assertThat(consume(key, 10).consumed()).isTrue();
    }

    @Test
    void resetOfAnUnknownKeyDoesNothing() {
        get(limiter.reset(key + "-never-used"));

        assertThat(get(limiter.available(key, TEN_PER_SECOND))).isEqualTo(10);
    }

    @Test
    void keysHaveTheirOwnBuckets() {
        String other = key + "-other";
        drain(key);

        assertThat(consume(other, 10).consumed()).isTrue();
        assertThat(consume(key, 1).consumed()).isFalse();
        assertThat(get(limiter.available(other, TEN_PER_SECOND))).isZero();
    }

    @Test
    void requestLargerThanCapacityIsRefusedAndTakesNothing() {
        assertThat(consume(key, 11).consumed()).isFalse();

        assertThat(get(limiter.available(key, TEN_PER_SECOND))).isEqualTo(10);
    }

    /**
     * An attacker sends from 20,000 distinct sender addresses against a per-sender rule: every one would be a bucket
     * of its own. The count never goes above the bound, and the flood fills it.
     */
    @Test
    void aFloodOfDistinctSendersKeepsTheBucketCountAtTheBound() throws Exception {
        int maxBuckets = 2_710;
        try (Bounded bounded = newBoundedLimiter(newClock(), maxBuckets)) {
            long most = flood(bounded, "per-sender|" + UUID.randomUUID() + "|", 20_000, () -> {});

            assertThat(most).as("buckets held at any time").isLessThanOrEqualTo(maxBuckets);
            assertThat(bounded.buckets()).as("buckets held after the flood")
                    .isBetween(maxBuckets * 9L / 10, (long) maxBuckets);
        }
    }

    /** A sender's bucket: 10 messages, then one every 6 minutes. */
    protected static final BucketSpec PER_SENDER = new BucketSpec(10, 10, Duration.ofHours(1), BucketSync.EXACT);

    /**
     * Takes a token for each of {@code senders} new random senders under {@code rule}, a hundred at a time, running
     * {@code between} after each hundred; returns the most buckets held after any hundred.
     */
    protected static long flood(Bounded bounded, String rule, int senders, Runnable between) {
        long most = 0;
        List<CompletableFuture<Probe>> batch = new ArrayList<>();
        for (int i = 0; i < senders; i++) {
            batch.add(bounded.limiter().tryConsume(rule + "x@" + UUID.randomUUID() + ".example", PER_SENDER, 1));
            if (batch.size() == 100) {
                batch.forEach(RateLimiterContract::get);
                batch.clear();
                between.run();
                most = Math.max(most, bounded.buckets());
            }
        }
        return most;
    }

    private Probe consume(String bucket, long tokens) {
        return get(limiter.tryConsume(bucket, TEN_PER_SECOND, tokens));
    }

    private void drain(String bucket) {
        assertThat(consume(bucket, 10).consumed()).isTrue();
    }

    protected static <T> T get(CompletableFuture<T> answer) {
        try {
            return answer.get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("no answer: " + e, e);
        }
    }
}
