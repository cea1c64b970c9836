package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.assertj.core.data.Offset;

/**
 * The share of a limit a sender is kept out of, by how long ago it was first deferred: all of the reserve for a
 * first-time sender, less for a returning one the older its first deferral, never more for an older one than for a
 * younger one, and none from its tiers' count of generations of age on.
 */
class RetryPriorityPropertiesTest {

    private static final long NOW = 1_767_225_600_000L;

    @Property(tries = 1_000)
    void anOlderFirstDeferralIsNeverKeptOutOfMore(@ForAll @DoubleRange(min = 0, max = 0.9) double share,
                                                 @ForAll @IntRange(min = 2, max = 64) int generations,
                                                 @ForAll @LongRange(min = 0, max = 86_400_000) long younger,
                                                 @ForAll @LongRange(min = 0, max = 86_400_000) long older,
                                                 @ForAll @LongRange(min = 0, max = 10_000) long capacity) {
        RetryPriority retry = retry(share, generations);
        long youngAge = Math.min(younger, older);
        long oldAge = Math.max(younger, older);

        double youngShare = retry.keptShare(NOW - youngAge, NOW);
        double oldShare = retry.keptShare(NOW - oldAge, NOW);

        assertThat(oldShare).isBetween(0.0, youngShare);
        assertThat(RetryPriority.wholeShare(capacity, oldShare))
                .as("in whole tokens too").isLessThanOrEqualTo(RetryPriority.wholeShare(capacity, youngShare));
        assertThat(youngShare).as("a returning sender is kept out of less than a first-time one, or of nothing")
                .isLessThanOrEqualTo(retry.keptShare(-1, NOW));
    }

    @Property(tries = 1_000)
    void theTiersStepByGeneration(@ForAll @DoubleRange(min = 0.01, max = 0.9) double share,
                                  @ForAll @IntRange(min = 2, max = 64) int generations,
                                  @ForAll @IntRange(min = 1, max = 64) int tiers,
                                  @ForAll @LongRange(min = 0, max = 86_400_000) long age) {
        RetryPriority retry = new RetryPriority(true, share, Duration.ofHours(4), generations, 1_000, 0.01,
                Math.min(tiers, generations));
        long period = retry.generation().toMillis();
        long generationsAgo = age / period;

        double kept = retry.keptShare(NOW - age, NOW);

        assertThat(retry.keptShare(-1, NOW)).as("first-time").isEqualTo(share);
        long tier = Math.min(retry.tiers(), generationsAgo + 1);
        assertThat(kept).isCloseTo(share * (retry.tiers() - tier) / retry.tiers(),
                Offset.offset(1e-12));
        if (generationsAgo >= retry.tiers() - 1) {
            assertThat(kept).as("the oldest tier takes the whole reserve").isZero();
        } else {
            assertThat(kept).as("younger tiers are kept out of part of it").isPositive();
        }
    }

    @Property(tries = 200)
    void withPriorityOffNobodyIsKeptOut(@ForAll @LongRange(min = -1, max = 86_400_000) long age) {
        assertThat(RetryPriority.OFF.keptShare(age < 0 ? -1 : NOW - age, NOW)).isZero();
    }

    private static RetryPriority retry(double share, int generations) {
        return new RetryPriority(true, share, Duration.ofHours(4), generations, 1_000, 0.01, Math.min(3, generations));
    }
}
