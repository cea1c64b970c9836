package io.sluice.policy.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.config.BucketSync;
import java.math.BigInteger;
import java.time.Duration;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/** The share of one node among n: together the shares stay within the whole, and none is a total block. */
class BucketSpecPropertiesTest {

    @Property
    void sharesTogetherRefillNoFasterThanTheWholeBeyondRounding(@ForAll("specs") BucketSpec whole,
                                                                @ForAll @IntRange(min = 1, max = 64) int nodes) {
        BucketSpec share = whole.shareOf(nodes);

        // Tokens all n shares refill over one whole period: n × shareTokens × period / sharePeriod.
        BigInteger numerator = BigInteger.valueOf(nodes).multiply(BigInteger.valueOf(share.refillTokens()))
                .multiply(BigInteger.valueOf(whole.refillPeriod().toNanos()));
        BigInteger sharePeriod = BigInteger.valueOf(share.refillPeriod().toNanos());
        BigInteger together = numerator.divide(sharePeriod);
        BigInteger wholeTokens = BigInteger.valueOf(whole.refillTokens());

        assertThat(together).as("n shares' refill of one period vs the whole's %s", whole)
                .isLessThanOrEqualTo(wholeTokens.add(BigInteger.ONE));
        if (whole.refillTokens() >= nodes) {
            // The shares also add up to about the whole: only the rounding of the period to nanoseconds differs.
            assertThat(together).isGreaterThanOrEqualTo(wholeTokens.subtract(BigInteger.ONE));
        }
    }

    @Property
    void sharesTogetherHoldNoMoreThanTheWholeWhenItCanBeSplit(@ForAll("specs") BucketSpec whole,
                                                              @ForAll @IntRange(min = 1, max = 64) int nodes) {
        BucketSpec share = whole.shareOf(nodes);

        if (whole.capacity() >= nodes) {
            assertThat(share.capacity() * nodes).isLessThanOrEqualTo(whole.capacity());
        } else {
            assertThat(share.capacity()).as("never a total block").isEqualTo(1);
        }
    }

    @Property
    void shareIsNeverBelowOneToken(@ForAll("specs") BucketSpec whole, @ForAll @IntRange(min = 1, max = 1_000) int nodes) {
        BucketSpec share = whole.shareOf(nodes);

        assertThat(share.capacity()).isGreaterThanOrEqualTo(1);
        assertThat(share.refillTokens()).isGreaterThanOrEqualTo(1);
        assertThat(share.refillPeriod()).isPositive();
        assertThat(share.sync()).isEqualTo(whole.sync());
        // The share must make a working bucket.
        assertThat(share.toConfiguration().getBandwidths()).hasSize(1);
    }

    @Property
    void oneNodeHasTheWhole(@ForAll("specs") BucketSpec whole) {
        assertThat(whole.shareOf(1)).isEqualTo(whole);
    }

    /** An override's factor scales the rate exactly (up to the period's nanosecond) and the burst by rounding. */
    @Property
    void scaledRefillsAtTheFactorTimesTheRate(@ForAll("specs") BucketSpec rule, @ForAll("factors") double factor) {
        BucketSpec scaled = rule.scaled(factor);

        double wanted = rule.refillTokens() * factor / rule.refillPeriod().toNanos();
        double got = (double) scaled.refillTokens() / scaled.refillPeriod().toNanos();
        // The period is rounded to whole nanoseconds: half a nanosecond of it, at most.
        double tolerance = wanted * 0.5 / scaled.refillPeriod().toNanos() + 1e-12 * wanted;
        assertThat(got).as("%s × %s", rule, factor).isCloseTo(wanted, org.assertj.core.data.Offset.offset(
                Math.max(tolerance, wanted * 1e-9)));
        assertThat(scaled.capacity()).isEqualTo(Math.max(1, Math.round(rule.capacity() * factor)));
        assertThat(scaled.refillTokens()).isGreaterThanOrEqualTo(1);
        assertThat(scaled.sync()).isEqualTo(rule.sync());
    }

    @Provide
    Arbitrary<Double> factors() {
        return Arbitraries.doubles().between(0.001, 1000).ofScale(3).filter(factor -> factor > 0);
    }

    @Provide
    Arbitrary<BucketSpec> specs() {
        return Combinators.combine(
                Arbitraries.longs().between(1, 1_000_000_000),
                Arbitraries.longs().between(1, 100_000),
                Arbitraries.longs().between(1, 86_400_000).map(Duration::ofMillis))
                .as((capacity, tokens, period) -> new BucketSpec(capacity, tokens, period, BucketSync.EXACT));
    }
}
