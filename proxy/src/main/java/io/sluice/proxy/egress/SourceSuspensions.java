package io.sluice.proxy.egress;

import static net.logstash.logback.argument.StructuredArguments.kv;

import io.netty.util.NetUtil;
import io.sluice.policy.suspension.LocalSuspensionStore;
import io.sluice.policy.suspension.SuspendedSource;
import io.sluice.policy.suspension.Suspension;
import io.sluice.policy.suspension.SuspensionStore;
import java.net.InetAddress;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which egress sources are suspended, for every destination or for one site (and which pools for one site): the store
 * keeps them (this node's alone, or the cluster's, where suspending a source on one node takes it out of use on every
 * node), and every change it tells is applied to the pools here.
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

    /**
     * Suspends a source of a pool for one site on these terms (or, with {@link SuspendedSource#EVERY_SOURCE}, the
     * whole pool for it), on every node; in force here when the future completes.
     */
    public CompletableFuture<Void> suspend(SuspendedSource suspension, Suspension terms) {
        return store.suspend(suspension, terms);
    }

    /** Lifts a suspension, on every node; over here when the future completes. */
    public CompletableFuture<Void> lift(SuspendedSource suspension) {
        return store.lift(suspension);
    }

    /** The suspensions in force, with their terms. */
    public Map<SuspendedSource, Suspension> inForce() {
        return store.terms();
    }

    /** The pools here. */
    public EgressPools pools() {
        return pools;
    }

    private void apply(SuspendedSource source, boolean suspended) {
        boolean wholePool = source.source().equals(SuspendedSource.EVERY_SOURCE);
        InetAddress address = wholePool ? null : NetUtil.createInetAddressFromIpAddressString(source.source());
        Optional<EgressPool> pool = pools.pool(source.pool());
        if ((address == null && !wholePool) || pool.isEmpty()) {
            // Another node's configuration has a pool or source this one lacks: nothing to do here.
            return;
        }
        boolean everySite = source.site().equals(SuspendedSource.EVERY_SITE);
        boolean changed = everySite ? (suspended ? pool.get().suspend(address) : pool.get().resume(address))
                : pool.get().suspend(address, source.site(), suspended);
        if (changed) {
            log.info(suspended ? "egress source suspended" : "egress source resumed",
                    kv("pool", pool.get().name()), kv("source", wholePool ? "*" : NetUtil.toAddressString(address)),
                    kv("site", everySite ? "*" : source.site()));
        }
    }
}
