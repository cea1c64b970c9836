package io.sluice.policy.fairshare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Max-min fair shares: they never exceed a demand, add up to the capacity (or to every demand when all fit), give a
 * key that gets less than it wants at least as much as any other key gets, and a rest of equal keys counts as those
 * keys named one by one.
 */
class MaxMinSharesPropertiesTest {

    private static final double EPSILON = 1e-6;

    @Property(tries = 2_000)
    void sharesAreMaxMinFair(@ForAll @Size(min = 1, max = 60) List<@DoubleRange(min = 0, max = 1_000) Double> wanted,
                             @ForAll @DoubleRange(min = 0, max = 20_000) double capacity) {
        double[] demands = wanted.stream().mapToDouble(Double::doubleValue).toArray();
        double total = Arrays.stream(demands).sum();

        double[] shares = MaxMinShares.shares(capacity, demands);

        assertThat(Arrays.stream(shares).sum()).as("all of the capacity, or every demand")
                .isCloseTo(Math.min(capacity, total), within(EPSILON * (1 + total)));
        double most = Arrays.stream(shares).max().orElseThrow();
        for (int i = 0; i < demands.length; i++) {
            assertThat(shares[i]).isBetween(0.0, demands[i]);
            if (shares[i] < demands[i] - EPSILON) {
                // Held back: then nobody gets more, so no key could gain without taking from one that has less.
                assertThat(shares[i]).as("a key held back has the most").isCloseTo(most, within(EPSILON * (1 + most)));
            }
        }
        if (total <= capacity) {
            assertThat(MaxMinShares.level(capacity, demands, 0, 0)).isInfinite();
        }
    }

    @Property(tries = 1_000)
    void equalDemandsGetEqualSharesAndMoreDemandNeverLessShare(
            @ForAll @IntRange(min = 1, max = 100) int keys, @ForAll @DoubleRange(min = 1, max = 1_000) double each,
            @ForAll @DoubleRange(min = 0, max = 50_000) double capacity,
            @ForAll @DoubleRange(min = 0, max = 1_000) double extra) {
        double[] demands = new double[keys];
        Arrays.fill(demands, each);
        double[] shares = MaxMinShares.shares(capacity, demands);
        for (double share : shares) {
            assertThat(share).isCloseTo(Math.min(each, capacity / keys), within(EPSILON * (1 + each)));
        }
        demands[0] = each + extra;
        double[] more = MaxMinShares.shares(capacity, demands);
        assertThat(more[0]).isGreaterThanOrEqualTo(shares[0] - EPSILON * (1 + each));
    }

    @Property(tries = 1_000)
    void aRestOfEqualKeysIsTheSameAsNamingThem(
            @ForAll @Size(min = 0, max = 20) List<@DoubleRange(min = 0, max = 1_000) Double> wanted,
            @ForAll @IntRange(min = 1, max = 200) int restKeys, @ForAll @DoubleRange(min = 0, max = 100) double restEach,
            @ForAll @DoubleRange(min = 0, max = 20_000) double capacity) {
        double[] named = wanted.stream().mapToDouble(Double::doubleValue).toArray();
        double[] all = Arrays.copyOf(named, named.length + restKeys);
        Arrays.fill(all, named.length, all.length, restEach);

        double level = MaxMinShares.level(capacity, named, restEach * restKeys, restKeys);
        double expected = MaxMinShares.level(capacity, all, 0, 0);

        if (Double.isInfinite(expected)) {
            assertThat(level).isInfinite();
        } else {
            assertThat(level).isCloseTo(expected, within(EPSILON * (1 + expected)));
        }
    }

    @Property(tries = 300)
    void jainIsOneForEqualValuesAndOneOverNForOneHoldingEverything(@ForAll @IntRange(min = 1, max = 100) int n,
                                                                  @ForAll @DoubleRange(min = 0.01, max = 100) double x) {
        double[] equal = new double[n];
        Arrays.fill(equal, x);
        assertThat(MaxMinShares.jain(equal)).isCloseTo(1.0, within(1e-9));
        double[] one = new double[n];
        one[0] = x;
        assertThat(MaxMinShares.jain(one)).isCloseTo(1.0 / n, within(1e-9));
    }
}
