package io.sluice.proxy.egress;

import static net.logstash.logback.argument.StructuredArguments.kv;

import io.netty.util.NetUtil;
import io.sluice.policy.suspension.LocalSuspensionStore;
import io.sluice.policy.suspension.SuspendedSource;
import io.sluice.policy.suspension.SuspensionStore;
import java.net.InetAddress;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which egress sources are suspended: the store keeps them (this node's alone, or the cluster's, where suspending a
 * source on one node takes it out of use on every node), and every change it tells is applied to the pools here.
 */
public final class SourceSuspensions {

    private static final Logger log = LoggerFactory.getLogger(SourceSuspensions.class);

    private final EgressPools pools;
    private final SuspensionStore store;

    private SourceSuspensions(EgressPools pools, SuspensionStore store) {
        this.pools = pools;
        this.store = store;
    }

    /** Suspensions of this node alone. */
    public static SourceSuspensions alone(EgressPools pools) {
        return over(new LocalSuspensionStore(), pools);
    }

    /** The suspensions a store keeps: the pools take those it holds now, and follow every change. */
    public static SourceSuspensions over(SuspensionStore store, EgressPools pools) {
        SourceSuspensions suspensions = new SourceSuspensions(pools, store);
        store.follow(suspensions::apply);
        return suspensions;
    }

    /**
     * Suspends or resumes a source of a pool, on every node; in force here when the future completes.
     *
     * @return false when the pool has no such source
     */
    public CompletableFuture<Boolean> set(String pool, InetAddress address, boolean suspended) {
        if (pools.pool(pool).filter(found -> found.owns(address)).isEmpty()) {
            return CompletableFuture.completedFuture(false);
        }
        return store.set(new SuspendedSource(pool, NetUtil.toAddressString(address)), suspended)
                .thenApply(ignored -> true);
    }

    private void apply(SuspendedSource source, boolean suspended) {
        InetAddress address = NetUtil.createInetAddressFromIpAddressString(source.source());
        Optional<EgressPool> pool = pools.pool(source.pool());
        if (address == null || pool.isEmpty()) {
            // Another node's configuration has a pool or source this one lacks: nothing to do here.
            return;
        }
        boolean changed = suspended ? pool.get().suspend(address) : pool.get().resume(address);
        if (changed) {
            log.info(suspended ? "egress source suspended" : "egress source resumed",
                    kv("pool", pool.get().name()), kv("source", NetUtil.toAddressString(address)));
        }
    }
}
