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
 * The reserved share of a bucket: a sender's consumption is refused exactly when it leaves fewer than the tokens of
 * the share it is kept out of (rounded down): the whole reserve for a first-time sender, less for a returning one the
 * longer ago it was first deferred; draining a bucket, first-time senders get exactly capacity less the reserve,
 * returning ones the rest, the oldest-deferred the last tokens; an older sender is never refused tokens a younger
 * one would get.
 */
class ReservedSharePropertiesTest {

    private static final long NOW = 1_767_225_600_000L;
    // Older than the last tier's age: its first deferral two generations (of 15 minutes) ago or more.
    private static final long OLDEST = Duration.ofMinutes(30).toMillis();

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

        Probe[] answered = Verdicts.withReserve(plan, new Probe[] {probe}, retry.keptShare(-1, NOW));

        long reserve = (long) Math.floor(capacity * share + 1e-9);
        assertThat(reserve).isBetween(0L, capacity);
        assertThat(answered[0].consumed()).isEqualTo(consumed && left >= reserve);
        assertThat(Verdicts.withReserve(plan, new Probe[] {probe}, RetryPriority.OFF.keptShare(-1, NOW))[0])
                .isEqualTo(probe);
        assertThat(Verdicts.withReserve(plan, new Probe[] {probe}, retry.keptShare(NOW - OLDEST, NOW))[0])
                .as("the oldest tier of returning senders takes the whole reserve").isEqualTo(probe);
    }

    @Property(tries = 1_000)
    void anOlderSenderIsNeverRefusedTokensAYoungerOneGets(
            @ForAll @LongRange(min = 1, max = 100_000) long capacity,
            @ForAll @DoubleRange(min = 0, max = 0.9) double share,
            @ForAll @LongRange(min = 0, max = 100_000) long remaining,
            @ForAll @LongRange(min = -1, max = 14_400_000) long younger,
            @ForAll @LongRange(min = 0, max = 14_400_000) long older) {
        Plan plan = plan(capacity);
        RetryPriority retry = retry(share);
        Probe probe = Probe.consumed(Math.min(remaining, capacity - 1));
        // -1: a first-time sender, the youngest of all.
        long youngFirst = younger < 0 ? -1 : NOW - Math.min(younger, older);
        long oldFirst = NOW - Math.max(younger, older);

        boolean young = Verdicts.withReserve(plan, new Probe[] {probe}, retry.keptShare(youngFirst, NOW))[0]
                .consumed();
        boolean old = Verdicts.withReserve(plan, new Probe[] {probe}, retry.keptShare(oldFirst, NOW))[0].consumed();

        assertThat(!young || old).as("young %s, old %s", young, old).isTrue();
    }

    @Property(tries = 300)
    void drainingABucketEachTierGetsDownToItsOwnFloor(@ForAll @IntRange(min = 1, max = 500) int capacity,
                                                      @ForAll @DoubleRange(min = 0, max = 0.9) double share) {
        Plan plan = plan(capacity);
        RetryPriority retry = retry(share);
        long tokens = capacity;
        long generation = retry.generation().toMillis();
        // First-time senders, then returning ones first deferred 0, 1 and 2 generations ago, each until refused.
        long[] firstDeferred = {-1, NOW, NOW - generation, NOW - 2 * generation};
        long[] got = new long[firstDeferred.length];
        for (int tier = 0; tier < firstDeferred.length; tier++) {
            double kept = retry.keptShare(firstDeferred[tier], NOW);
            while (tokens > 0 && Verdicts.withReserve(plan, new Probe[] {Probe.consumed(tokens - 1)}, kept)[0]
                    .consumed()) {
                tokens--;
                got[tier]++;
            }
            assertThat(tokens).as("tier %s stops at its floor", tier)
                    .isEqualTo(Math.min(tokens + got[tier], RetryPriority.wholeShare(capacity, kept)));
        }
        assertThat(tokens).as("the oldest tier empties the bucket").isZero();
        assertThat(got[0]).as("first-time senders get all but the reserve")
                .isEqualTo(capacity - (long) Math.floor(capacity * share + 1e-9));
    }

    // Three tiers: every step of the reserve is exercised.
    private static RetryPriority retry(double share) {
        return new RetryPriority(true, share, Duration.ofHours(4), 16, 1_000, 0.01, 3);
    }

    private static Plan plan(long capacity) {
        LimitRule rule = Rules.limit("global", RuleKey.GLOBAL, Counted.MESSAGES, new Rate(capacity, Duration.ofHours(1)),
                capacity);
        CompiledLimit limit = new CompiledLimit(rule, List.of());
        return new Plan(RuleKey.Stage.MAIL, List.of(new Plan.Charge(limit, limit.spec(), "global|", 1, null)),
                List.of());
    }
}
