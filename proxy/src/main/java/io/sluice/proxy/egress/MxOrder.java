package io.sluice.proxy.egress;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.random.RandomGenerator;

/** The order in which to try mail exchangers. */
final class MxOrder {

    private MxOrder() {
    }

    /**
     * Sorts by preference and shuffles each run of equal preference: RFC 5321 §5.1 asks senders to spread their
     * load over equally preferred hosts at random.
     */
    static List<MxHost> order(List<MxHost> hosts, RandomGenerator random) {
        List<MxHost> sorted = new ArrayList<>(hosts);
        sorted.sort(Comparator.comparingInt(MxHost::preference));
        int start = 0;
        while (start < sorted.size()) {
            int end = start + 1;
            while (end < sorted.size() && sorted.get(end).preference() == sorted.get(start).preference()) {
                end++;
            }
            // Fisher-Yates over [start, end).
            for (int i = end - 1; i > start; i--) {
                int j = start + random.nextInt(i - start + 1);
                MxHost swapped = sorted.get(i);
                sorted.set(i, sorted.get(j));
                sorted.set(j, swapped);
            }
            start = end;
        }
        return List.copyOf(sorted);
    }
}
