package io.sluice.policy.eval;

import io.sluice.config.PolicyConfig;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Where the policy in force and its version are kept, and changed only by a compare-and-set on the version: of two
 * changes based on the same version, one wins and the other learns it was stale. The store puts what it keeps
 * into force on this node's {@link PolicyEngine}.
 */
public interface PolicyStore {

    /** The policy in force on this node, with its version; answers at once, without asking anyone else. */
    VersionedPolicy current();

    /**
     * Replaces the policy if its version is still {@code expectedVersion}. The future may complete on another thread
     * (a cluster-wide store asks the cluster); it never blocks the caller.
     *
     * @return the new policy and version, or empty when the version was no longer {@code expectedVersion} and
     *     nothing changed
     */
    CompletableFuture<Optional<VersionedPolicy>> replace(long expectedVersion, PolicyConfig policy);
}
