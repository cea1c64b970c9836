package io.sluice.policy.retry;

import io.sluice.config.RetryPriority;

class LocalDeferredSendersTest extends DeferredSendersContract {

    @Override
    protected DeferredSenders newMarks(RetryPriority config, SteppedClock clock) {
        return new LocalDeferredSenders(config, clock);
    }
}
