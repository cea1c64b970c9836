package io.sluice.policy.fairshare;

import java.util.Arrays;

/**
 * Max-min fair shares of a capacity (water filling): every key gets its demand or the water level, whichever is less,
 * the level being as high as the capacity allows. A key that wants less than the level leaves the rest to the others;
 * no key gets more than one that wanted more. A pure function.
 */
public final class MaxMinShares {

    private MaxMinShares() {
    }

    /**
     * The water level of {@code capacity} shared among keys of these {@code demands}, plus {@code restKeys} keys sharing
     * {@code restDemand} equally (those a bounded summary does not name one by one): what a key wanting more than it
     * gets. Infinite when every demand fits, so that nobody is held to a share.
     */
    public static double level(double capacity, double[] demands, double restDemand, long restKeys) {
        if (capacity < 0 || restDemand < 0 || restKeys < 0 || (restDemand > 0 && restKeys == 0)) {
            throw new IllegalArgumentException("capacity: " + capacity + ", restDemand: " + restDemand + ", restKeys: "
                    + restKeys + " (expected: >= 0, and keys for any rest)");
        }
        double total = restDemand;
        for (double demand : demands) {
            if (demand < 0) {
                throw new IllegalArgumentException("demand: " + demand + " (expected: >= 0)");
            }
            total += demand;
        }
        if (total <= capacity) {
            return Double.POSITIVE_INFINITY;
        }
        double[] sorted = demands.clone();
        Arrays.sort(sorted);
        double restEach = restKeys == 0 ? Double.POSITIVE_INFINITY : restDemand / restKeys;
        double remaining = capacity;
        long keysLeft = sorted.length + restKeys;
        boolean restDone = restKeys == 0;
        int i = 0;
        // Ascending demand: each key that fits under the level it would get leaves what it does not take.
        while (keysLeft > 0) {
            double level = remaining / keysLeft;
            boolean restNext = !restDone && (i == sorted.length || restEach <= sorted[i]);
            if (restNext) {
                if (restEach > level) {
                    return level;
                }
                remaining -= restDemand;
                keysLeft -= restKeys;
                restDone = true;
            } else {
                if (sorted[i] > level) {
                    return level;
                }
                remaining -= sorted[i];
                keysLeft--;
                i++;
            }
        }
        // Not reached: the demands add up to more than the capacity, so some key is above the level.
        return Math.max(0, remaining);
    }

    /** Each key's max-min fair share of {@code capacity}, in the order of {@code demands}. */
    public static double[] shares(double capacity, double[] demands) {
        double level = level(capacity, demands, 0, 0);
        double[] shares = new double[demands.length];
        for (int i = 0; i < demands.length; i++) {
            shares[i] = Math.min(demands[i], level);
        }
        return shares;
    }

    /**
     * Jain's fairness index of {@code values}: 1 when all are equal, {@code 1/n} when one has everything. Over
     * admitted / fair share it says how close an allocation came to max-min fairness.
     */
    public static double jain(double[] values) {
        double sum = 0;
        double squares = 0;
        for (double value : values) {
            sum += value;
            squares += value * value;
        }
        return squares == 0 ? 1 : sum * sum / (values.length * squares);
    }
}
