package io.sluice.policy.retry;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.config.RetryPriority;
import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What every {@link DeferredSenders} does, run against each implementation, on a clock the test moves. */
public abstract class DeferredSendersContract {

    /** 1 hour in 4 generations of 15 minutes, 10,000 marks each. */
    protected static final RetryPriority CONFIG =
            new RetryPriority(true, 0.3, Duration.ofHours(1), 4, 10_000, 0.01);
    private static final Duration GENERATION = CONFIG.generation();

    // A generation starts here: 2026-01-01T00:00Z, a multiple of 15 minutes.
    private static final long START = 1_767_225_600_000L;

    protected SteppedClock clock;
    protected DeferredSenders marks;
    private final SplittableRandom random = new SplittableRandom(18);

    /** Marks of the implementation under test, on {@code clock}; a new, empty set of marks each time. */
    protected abstract DeferredSenders newMarks(RetryPriority config, SteppedClock clock);

    @BeforeEach
    void openMarks() {
        clock = new SteppedClock(START + Duration.ofMinutes(5).toMillis());
        marks = newMarks(CONFIG, clock);
    }

    @AfterEach
    void closeMarks() {
        marks.close();
    }

    @Test
    void aMarkIsFoundAtOnceWithTheStartOfItsGeneration() {
        long sender = MarkKey.of(TestAddresses.v4("198.51.100.7"), "Alice@Example.org");

        assertThat(marks.firstDeferred(sender)).as("before the deferral").isEqualTo(-1);
        assertThat(marks.mark(sender)).isTrue();

        assertThat(marks.firstDeferred(sender)).isEqualTo(START);
        assertThat(marks.firstDeferred(MarkKey.of(TestAddresses.v4("198.51.100.200"), "alice@example.org")))
                .as("the same network and sender, whatever the case").isEqualTo(START);
        assertThat(marks.firstDeferred(MarkKey.of(TestAddresses.v4("198.51.101.7"), "alice@example.org")))
                .as("another network").isEqualTo(-1);
        assertThat(marks.firstDeferred(MarkKey.of(TestAddresses.v4("198.51.100.7"), "")))
                .as("the null sender is a sender of its own").isEqualTo(-1);
    }

    @Test
    void theOldestGenerationHoldingAMarkTellsTheFirstDeferral() {
        long sender = randomKey();
        marks.mark(sender);
        clock.advance(GENERATION.multipliedBy(2));
        marks.mark(sender);

        assertThat(marks.firstDeferred(sender)).isEqualTo(START);
    }

    @Test
    void aMarkExpiresWhenItsGenerationLeavesTheWindow() {
        long sender = randomKey();
        marks.mark(sender);

        // The generation is live for the whole window from its start.
        clock.advance(CONFIG.markTtl().minus(Duration.ofMinutes(5)).minusMillis(1));
        assertThat(marks.firstDeferred(sender)).isEqualTo(START);

        clock.advance(Duration.ofMillis(1));
        assertThat(marks.firstDeferred(sender)).isEqualTo(-1);
    }

    @Test
    void aFloodOfRandomSendersKeepsTheMarksAtTheirBound() {
        long[] early = new long[1_000];
        for (int i = 0; i < early.length; i++) {
            early[i] = randomKey();
            marks.mark(early[i]);
        }
        int dropped = 0;
        // Ten times what the window holds, spread over two windows.
        int flood = (int) (CONFIG.capacity() * CONFIG.generations() * 10);
        Duration step = CONFIG.markTtl().multipliedBy(2).dividedBy(flood);
        for (int i = 0; i < flood; i++) {
            if (!marks.mark(randomKey())) {
                dropped++;
            }
            if (i % 1_000 == 0) {
                assertThat(marks.memoryBytes()).isLessThanOrEqualTo(marks.maxBytes());
            }
            clock.advance(step);
        }

        assertThat(marks.memoryBytes()).isLessThanOrEqualTo(marks.maxBytes());
        assertThat(dropped).as("marks beyond each generation's capacity are dropped").isGreaterThan(flood / 2);
        int stillFound = 0;
        for (long key : early) {
            long found = marks.firstDeferred(key);
            // Any answer is a false positive of a later generation, never the expired one's.
            assertThat(found).as("an early mark, two windows later").isNotEqualTo(START);
            stillFound += found >= 0 ? 1 : 0;
        }
        assertThat(stillFound).as("early marks taken for later ones").isLessThan(early.length / 50);
        int falsePositives = 0;
        int lookups = 20_000;
        for (int i = 0; i < lookups; i++) {
            if (marks.firstDeferred(randomKey()) >= 0) {
                falsePositives++;
            }
        }
        assertThat((double) falsePositives / lookups).as("first-time senders taken for returning ones, all full")
                .isLessThan(CONFIG.falsePositiveRate() * 2);
    }

    protected long randomKey() {
        return random.nextLong();
    }
}
