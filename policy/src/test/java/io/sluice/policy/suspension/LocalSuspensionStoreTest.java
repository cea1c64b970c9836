package io.sluice.policy.suspension;

class LocalSuspensionStoreTest extends SuspensionStoreContract {

    @Override
    protected SuspensionStore newStore() {
        return new LocalSuspensionStore();
    }
}
