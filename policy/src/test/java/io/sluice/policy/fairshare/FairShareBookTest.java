package io.sluice.policy.fairshare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** One rule's books: shares from the window before, this node's part of a key's demand, and the bound. */
class FairShareBookTest {

    private static final long START = 1_767_225_600_000L;
    private static final long HEAVY = FairShareBook.keyOf("127.16.0.0/24");

    @Test
    void aKeyAboveTheLevelIsCappedInTheNextWindowAndKeysUnderItAreNot() {
        // 60 tokens a window: 50 small keys asking 1 each leave 10 for the heavy one asking 150.
        FairShareBook book = new FairShareBook(0.06, List::of);
        offer(book, START, 150, 50, 1);

        assertThat(book.share(HEAVY, START + 999)).as("nothing capped in the window being counted").isNull();
        FairShareBook.Share heavy = book.share(HEAVY, START + 1_000);
        assertThat(heavy.allowance()).isCloseTo(10, within(1e-9));
        assertThat(heavy.level()).isCloseTo(10, within(1e-9));
        assertThat(book.share(small(7), START + 1_000)).isNull();

        // The allowance is paced over the window: a tenth of it every tenth of a second.
        assertThat(book.share(HEAVY, START + 1_000).over(1)).as("nothing due yet").isTrue();
        book.taken(HEAVY, 2, START + 1_200);
        assertThat(book.share(HEAVY, START + 1_200).over(1)).as("2 due, 2 taken").isTrue();
        assertThat(book.share(HEAVY, START + 1_300).over(1)).as("3 due, 2 taken").isFalse();
        book.taken(HEAVY, 8, START + 1_300);
        assertThat(book.share(HEAVY, START + 1_999).over(1)).as("the window's 10 taken").isTrue();
        assertThat(book.share(HEAVY, START + 2_000)).as("a quiet window caps nobody").isNull();
    }

    @Test
    void aKeyCappedInTwoWindowsRunningStartsTheSecondWithNothingTaken() {
        FairShareBook book = new FairShareBook(0.06, List::of);
        offer(book, START, 150, 50, 1);
        offer(book, START + 1_000, 150, 50, 1);
        book.taken(HEAVY, 10, START + 1_999);
        assertThat(book.share(HEAVY, START + 1_999).over(1)).as("the first window's 10 taken").isTrue();

        FairShareBook.Share second = book.share(HEAVY, START + 2_099);
        assertThat(second.taken()).as("what it took in the window before").isZero();
        assertThat(second.over(1)).as("1 due, none taken").isFalse();
    }

    @Test
    void aReadingOlderThanTheWindowDoesNotRollTheBookBack() {
        FairShareBook book = new FairShareBook(0.06, List::of);
        offer(book, START, 150, 50, 1);
        book.offered(HEAVY, 150, START + 1_000);
        book.taken(HEAVY, 1, START + 1_500);
        // A reading taken before another thread's later one got the lock.
        book.offered(small(3), 1, START + 999);
        assertThat(book.window()).isEqualTo(FairShareBook.windowAt(START + 1_000));
        FairShareBook.Share late = book.share(HEAVY, START + 999);
        assertThat(late.taken()).as("what it took in this window").isEqualTo(1);
        assertThat(late.paced()).as("a late reading counts as the window's first millisecond")
                .isCloseTo(10.0 / 1_000, within(1e-9));

        assertThat(book.lastClosed(START + 2_000).demand().getEstimate(HEAVY))
                .as("the window's demand is kept").isEqualTo(150);
    }

    @Test
    void underTheCapacityNobodyIsCapped() {
        FairShareBook book = new FairShareBook(0.5, List::of);
        offer(book, START, 400, 50, 2);
        assertThat(book.share(HEAVY, START + 1_000)).isNull();
    }

    @Test
    void aNodesAllowanceIsItsPartOfTheKeysDemandAcrossTheCluster() {
        // The other node saw the heavy key ask 90 and 25 small ones 1 each; this one 30, and 25 other small ones.
        ShareSummary other = ShareSummary.empty(FairShareBook.windowAt(START));
        other.demand().update(HEAVY, 90);
        other.keys().update(HEAVY);
        for (int i = 0; i < 25; i++) {
            other.demand().update(small(i), 1);
            other.keys().update(small(i));
        }
        List<ShareSummary> others = new ArrayList<>();
        FairShareBook book = new FairShareBook(0.06, () -> others);
        // This node's small keys are others than the other node's.
        book.offered(HEAVY, 30, START);
        for (int i = 25; i < 50; i++) {
            book.offered(small(i), 1, START);
        }

        FairShareBook.Share alone = book.share(HEAVY, START + 1_000);
        others.add(other);
        book.othersChanged();
        FairShareBook.Share together = book.share(HEAVY, START + 1_000);

        assertThat(alone).as("this node alone saw less than its capacity").isNull();
        // 60 - 50 small = 10 for the heavy key across the cluster; this node saw a quarter of its demand.
        assertThat(together.level()).isCloseTo(10, within(1e-6));
        assertThat(together.allowance()).isCloseTo(2.5, within(1e-6));
    }

    @Test
    void aFloodOfRandomNetworksStaysWithinTheSketchAndStillCapsTheHeavyKey() {
        FairShareBook book = new FairShareBook(1.0, List::of);
        SplittableRandom random = new SplittableRandom(18);
        book.offered(HEAVY, 20_000, START);
        for (int i = 0; i < 200_000; i++) {
            book.offered(random.nextLong(), 1, START + i % 1_000);
        }
        ShareSummary window = book.lastClosed(START + 1_000);

        assertThat(window.demand().getNumActiveItems()).isLessThanOrEqualTo(window.demand().getMaximumMapCapacity());
        assertThat(window.toBytes().length).as("what one rule's summary puts on the wire").isLessThan(20 * 1024);
        // 1,000 tokens over some 200,000 keys: the heavy one gets what each of the others would, about 1/200.
        FairShareBook.Share heavy = book.share(HEAVY, START + 1_000);
        assertThat(heavy.allowance()).isBetween(0.0, 0.01);
    }

    @Test
    void aSummaryReadsBackAndAForeignOneLargerThanOursIsRefused() throws Exception {
        ShareSummary summary = ShareSummary.empty(42);
        summary.demand().update(HEAVY, 7);
        summary.keys().update(HEAVY);
        ShareSummary back = ShareSummary.fromBytes(summary.toBytes());
        assertThat(back.window()).isEqualTo(42);
        assertThat(back.demand().getEstimate(HEAVY)).isEqualTo(7);

        ShareSummary larger = new ShareSummary(42, new org.apache.datasketches.frequencies.LongsSketch(
                ShareSummary.MAP_SIZE * 4), new org.apache.datasketches.hll.HllSketch(ShareSummary.LG_KEYS));
        org.assertj.core.api.Assertions.assertThatIOException()
                .isThrownBy(() -> ShareSummary.fromBytes(larger.toBytes()));
        byte[] garbage = summary.toBytes();
        garbage[20] ^= 0x7f;
        garbage[21] ^= 0x7f;
        org.assertj.core.api.Assertions.assertThatIOException().isThrownBy(() -> ShareSummary.fromBytes(garbage));
    }

    private static void offer(FairShareBook book, long at, long heavy, int smallKeys, long eachSmall) {
        book.offered(HEAVY, heavy, at);
        for (int i = 0; i < smallKeys; i++) {
            book.offered(small(i), eachSmall, at);
        }
    }

    private static long small(int i) {
        return FairShareBook.keyOf("127.17." + i + ".0/24");
    }
}
