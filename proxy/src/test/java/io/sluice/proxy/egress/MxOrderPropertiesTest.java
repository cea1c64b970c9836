package io.sluice.proxy.egress;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

class MxOrderPropertiesTest {

    @Property
    void theOrderIsAPermutationSortedByPreference(
            @ForAll @Size(max = 12) List<@IntRange(min = 0, max = 5) Integer> preferences, @ForAll long seed) {
        List<MxHost> hosts = new ArrayList<>();
        for (int i = 0; i < preferences.size(); i++) {
            hosts.add(new MxHost("mx" + i + ".test", preferences.get(i), List.of()));
        }

        List<MxHost> ordered = MxOrder.order(hosts, new Random(seed));

        assertThat(ordered).containsExactlyInAnyOrderElementsOf(hosts);
        for (int i = 1; i < ordered.size(); i++) {
            assertThat(ordered.get(i).preference()).isGreaterThanOrEqualTo(ordered.get(i - 1).preference());
        }
    }

    @Property
    void everyHostOfTheBestPreferenceComesFirstSometimes(@ForAll @IntRange(min = 2, max = 5) int equals) {
        List<MxHost> hosts = new ArrayList<>();
        for (int i = 0; i < equals; i++) {
            hosts.add(new MxHost("mx" + i + ".test", 10, List.of()));
        }
        hosts.add(new MxHost("backup.test", 20, List.of()));
        Random random = new Random(equals);
        java.util.Set<String> first = new java.util.HashSet<>();

        for (int i = 0; i < 200; i++) {
            first.add(MxOrder.order(hosts, random).get(0).name());
        }

        assertThat(first).hasSize(equals).doesNotContain("backup.test");
    }
}
