package io.sluice.policy.eval;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.config.Counted;
import io.sluice.config.LimitRule;
import io.sluice.config.Rate;
import io.sluice.config.RetryPriority;
import io.sluice.config.RuleKey;
import io.sluice.policy.ratelimit.Probe;
import java.time.Duration;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/**
 * The reserved share of a bucket: a first-time sender's consumption is refused exactly when it leaves fewer than
 * the share's tokens (rounded down), never a returning sender's; draining a bucket, first-time senders get exactly
 * capacity less the reserve, returning ones the rest.
 */
class ReservedSharePropertiesTest {

    @Property(tries = 1_000)
    void aFirstTimeConsumptionIsRefusedExactlyWhenItLeavesLessThanTheReserve(
            @ForAll @LongRange(min = 1, max = 100_000) long capacity,
            @ForAll @DoubleRange(min = 0, max = 0.9) double share,
            @ForAll @LongRange(min = 0, max = 100_000) long remaining,
            @ForAll boolean consumed) {
        Plan plan = plan(capacity);
        RetryPriority retry = retry(share);
        long left = Math.min(remaining, capacity);
        Probe probe = new Probe(consumed, left, 0);

        Probe[] answered = Verdicts.withReserve(plan, new Probe[] {probe}, retry);

        long reserve = (long) Math.floor(capacity * share + 1e-9);
        assertThat(reserve).isBetween(0L, capacity);
        assertThat(answered[0].consumed()).isEqualTo(consumed && left >= reserve);
        assertThat(Verdicts.withReserve(plan, new Probe[] {probe}, RetryPriority.OFF)[0]).isEqualTo(probe);
    }

    @Property(tries = 300)
    void drainingABucketFirstTimeSendersGetAllButTheReserve(@ForAll @IntRange(min = 1, max = 500) int capacity,
                                                            @ForAll @DoubleRange(min = 0, max = 0.9) double share) {
        Plan plan = plan(capacity);
        RetryPriority retry = retry(share);
        long tokens = capacity;
        int firstTime = 0;
        // Every first-time request until one is refused, then returning ones until the bucket is empty.
        while (tokens > 0) {
            Probe probe = Probe.consumed(tokens - 1);
            if (!Verdicts.withReserve(plan, new Probe[] {probe}, retry)[0].consumed()) {
                break;
            }
            tokens--;
            firstTime++;
        }
        long returning = tokens;

        assertThat(firstTime).isEqualTo(capacity - (long) Math.floor(capacity * share + 1e-9));
        assertThat(firstTime + returning).isEqualTo(capacity);
    }

    private static RetryPriority retry(double share) {
        return new RetryPriority(true, share, Duration.ofHours(4), 16, 1_000, 0.01);
    }

    private static Plan plan(long capacity) {
        LimitRule rule = Rules.limit("global", RuleKey.GLOBAL, Counted.MESSAGES, new Rate(capacity, Duration.ofHours(1)),
                capacity);
        CompiledLimit limit = new CompiledLimit(rule, List.of());
        return new Plan(RuleKey.Stage.MAIL, List.of(new Plan.Charge(limit, limit.spec(), "global|", 1, null)),
                List.of());
    }
}
