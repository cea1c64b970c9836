package io.sluice.policy.retry;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Scale;

/**
 * The arithmetic of generations: every time falls in exactly one generation, which every node computes alike; a
 * mark is found, with the start of its generation, for the whole window from that start and never after; the
 * oldest generation holding a mark answers; the rates of the generations add up to the window's.
 */
class MarkGenerationsPropertiesTest {

    private static final long CAPACITY = 1_000;

    @Property(tries = 1_000)
    void everyTimeFallsInOneGenerationThatStartsAtOrBeforeIt(
            @ForAll @LongRange(min = 0, max = 4_000_000_000_000L) long epochMillis,
            @ForAll @LongRange(min = 1, max = 86_400_000) long periodMillis) {
        long generation = MarkGenerations.generation(epochMillis, periodMillis);
        long start = MarkGenerations.start(generation, periodMillis);

        assertThat(start).isLessThanOrEqualTo(epochMillis);
        assertThat(epochMillis).isLessThan(start + periodMillis);
        assertThat(MarkGenerations.generation(start, periodMillis)).isEqualTo(generation);
        assertThat(MarkGenerations.generation(start + periodMillis, periodMillis)).isEqualTo(generation + 1);
    }

    @Property(tries = 300)
    void aMarkIsFoundForTheWholeWindowFromItsGenerationsStartAndNeverAfter(
            @ForAll @LongRange(min = 1_700_000_000_000L, max = 1_800_000_000_000L) long markedAt,
            @ForAll @LongRange(min = 1, max = 3_600_000) long periodMillis,
            @ForAll @IntRange(min = 1, max = 32) int count,
            @ForAll @LongRange(min = 0, max = 100_000_000) long later,
            @ForAll long key) {
        MarkGenerations generations = new MarkGenerations(periodMillis, count, CAPACITY, 0.01);
        generations.add(key, markedAt);
        long start = MarkGenerations.start(MarkGenerations.generation(markedAt, periodMillis), periodMillis);
        long lookedUpAt = markedAt + later;

        long found = generations.firstDeferred(key, lookedUpAt);

        if (lookedUpAt < start + count * periodMillis) {
            assertThat(found).isEqualTo(start);
        } else {
            // Any later answer would be a false positive; with one mark in the filters there is none.
            assertThat(found).isEqualTo(-1);
        }
        assertThat(generations.expiresAt(MarkGenerations.generation(markedAt, periodMillis)))
                .isEqualTo(start + count * periodMillis);
    }

    @Property(tries = 300)
    void theOldestLiveGenerationHoldingAMarkAnswers(
            @ForAll @LongRange(min = 1, max = 60_000) long periodMillis,
            @ForAll @IntRange(min = 2, max = 16) int count,
            @ForAll @IntRange(min = 0, max = 15) int firstGeneration,
            @ForAll @IntRange(min = 0, max = 15) int gap,
            @ForAll long key) {
        long base = 1_750_000_000_000L;
        MarkGenerations generations = new MarkGenerations(periodMillis, count, CAPACITY, 0.01);
        long first = base + firstGeneration * periodMillis;
        long second = first + gap * periodMillis;
        generations.add(key, first);
        generations.add(key, second);

        long found = generations.firstDeferred(key, second);

        long firstStart = MarkGenerations.start(MarkGenerations.generation(first, periodMillis), periodMillis);
        long secondStart = MarkGenerations.start(MarkGenerations.generation(second, periodMillis), periodMillis);
        assertThat(found).isEqualTo(gap < count ? firstStart : secondStart);
    }

    @Property(tries = 1_000)
    void theGenerationsRatesMakeTheWindowsRate(@ForAll @DoubleRange(min = 1e-6, max = 0.49) @Scale(8) double rate,
                                               @ForAll @IntRange(min = 1, max = 64) int count) {
        double perGeneration = MarkGenerations.perGenerationRate(rate, count);

        assertThat(perGeneration).isPositive().isLessThanOrEqualTo(rate * (1 + 1e-9));
        assertThat(1 - Math.pow(1 - perGeneration, count)).isCloseTo(rate, org.assertj.core.data.Offset.offset(1e-9));
    }

    @Property(tries = 200)
    void memoryNeverPassesOneFilterPerGeneration(@ForAll @IntRange(min = 1, max = 8) int count,
                                                 @ForAll @LongRange(min = 1, max = 10_000) long periodMillis,
                                                 @ForAll @IntRange(min = 0, max = 3_000) int marks,
                                                 @ForAll long seed) {
        MarkGenerations generations = new MarkGenerations(periodMillis, count, CAPACITY, 0.01);
        java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
        long now = 1_750_000_000_000L;
        for (int i = 0; i < marks; i++) {
            generations.add(random.nextLong(), now);
            now += random.nextLong(periodMillis * 3);
            assertThat(generations.memoryBytes()).isLessThanOrEqualTo(generations.maxBytes());
        }
    }
}
