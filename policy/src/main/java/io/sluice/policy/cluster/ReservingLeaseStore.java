package io.sluice.policy.cluster;

import io.sluice.policy.ratelimit.Lease;
import io.sluice.policy.ratelimit.LeaseStore;
import java.util.Optional;

/**
 * A cluster's session counts, which reserve slots for this node ahead of its sessions: what a node that cannot ask
 * the cluster may still grant without granting more than the cluster counts.
 */
interface ReservingLeaseStore extends LeaseStore {

    /**
     * A slot of this node's reservation for {@code key}, if it has a spare one for a caller of {@code max} that the
     * cluster still keeps for it; never asks the cluster.
     */
    Optional<Lease> acquireReserved(String key, int max);

    /** Sessions of this node holding a slot of {@code key}. */
    int heldHere(String key);
}
