package io.sluice.loadtest.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class SizeDistributionTest {

    @Test
    void readsEveryForm() {
        assertThat(SizeDistribution.parse("2KB")).isEqualTo(SizeDistribution.fixed(2000));
        assertThat(SizeDistribution.parse("1KiB..1MiB").choices())
                .containsExactly(new SizeDistribution.Choice(1024, 1024 * 1024, 1));
        assertThat(SizeDistribution.parse("2KB:70,20KB:25,1MB..2MB:5").choices()).containsExactly(
                new SizeDistribution.Choice(2000, 2000, 70), new SizeDistribution.Choice(20_000, 20_000, 25),
                new SizeDistribution.Choice(1_000_000, 2_000_000, 5));
    }

    @Test
    void saysWhatIsWrong() {
        assertThatThrownBy(() -> SizeDistribution.parse("2 KB")).hasMessageStartingWith("\"2 KB\" (expected: SIZE");
        assertThatThrownBy(() -> SizeDistribution.parse("2KB..1KB")).hasMessageContaining("min <= max");
        assertThatThrownBy(() -> SizeDistribution.parse("1KB:0")).hasMessageContaining("weight: 0");
    }

    @Property
    void samplesStayWithinTheChoicesAndFollowTheWeights(@ForAll @IntRange(min = 1, max = 99) int weight,
            @ForAll long seed) {
        SizeDistribution sizes = SizeDistribution.parse("100B..200B:" + weight + ",5000B:" + (100 - weight));
        Random random = new Random(seed);
        int small = 0;
        for (int i = 0; i < 2000; i++) {
            long size = sizes.sample(random);
            assertThat(size == 5000 || (size >= 100 && size <= 200)).as("size %d", size).isTrue();
            small += size <= 200 ? 1 : 0;
        }
        // 2000 draws: the share is within 10 percentage points of the weight with overwhelming probability.
        assertThat(Math.abs(small / 20.0 - weight)).isLessThan(10);
    }
}
