package io.sluice.policy.eval;

import io.sluice.policy.ratelimit.Lease;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Slots won for one thing that is open (a client session, a connection to a backend), given back together when
 * it ends. A lease that arrives after the end is given back at once.
 */
public final class HeldLeases implements PolicyEngine.LeaseHolder {

    private final Queue<Lease> leases = new ConcurrentLinkedQueue<>();
    private volatile boolean released;

    @Override
    public void hold(Lease lease) {
        leases.add(lease);
        // The holder may have ended while the lease was on its way.
        if (released && leases.remove(lease)) {
            lease.release();
        }
    }

    /** Gives back every slot held, and any that arrives later. */
    public void release() {
        released = true;
        Lease lease;
        while ((lease = leases.poll()) != null) {
            lease.release();
        }
    }
}
