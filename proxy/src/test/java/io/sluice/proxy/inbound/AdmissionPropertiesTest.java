package io.sluice.proxy.inbound;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;

/**
 * The reserved share of a pool's in-flight limit: a first-time sender is admitted below the limit less the share
 * (in whole places), a returning one below the limit, and first-time senders alone leave the reserve free.
 */
class AdmissionPropertiesTest {

    @Property(tries = 500)
    void aFirstTimeSenderIsAdmittedBelowTheLimitLessItsShareAndAReturningOneBelowTheLimit(
            @ForAll @IntRange(min = 1, max = 10_000) int limit, @ForAll @IntRange(min = 0, max = 10_000) int inflight,
            @ForAll @DoubleRange(min = 0, max = 0.9) double share) {
        assertThat(Admission.over(inflight, limit, share)).isEqualTo(inflight >= limit * (1 - share) - 1e-6);
        assertThat(Admission.over(inflight, limit, 0)).isEqualTo(inflight >= limit);
        if (!Admission.over(inflight, limit, share)) {
            assertThat(Admission.over(inflight, limit, 0)).as("whom a first-time sender gets in, a returning one does")
                    .isFalse();
        }
        // Filled by first-time senders alone, the reserve is left.
        int firstTime = 0;
        while (!Admission.over(firstTime, limit, share)) {
            firstTime++;
        }
        assertThat(firstTime).isEqualTo(limit - (int) Math.floor(limit * share + 1e-9));
    }
}
