package io.sluice.policy.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LocalLeaseStoreTest extends LeaseStoreContract {

    @Override
    protected LeaseStore newStore(ManualClock clock) {
        return new LocalLeaseStore();
    }

    @Test
    void releaseIsSeenAtOnce() {
        Lease lease = acquire(key, 1).orElseThrow();

        lease.release();

        assertThat(get(store.held(key))).isZero();
    }
}
