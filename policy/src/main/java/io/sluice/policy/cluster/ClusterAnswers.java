package io.sluice.policy.cluster;

import com.hazelcast.map.IMap;
import com.hazelcast.spi.impl.operationexecutor.impl.PartitionOperationThread;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.distributed.proxy.ClientSideConfig;
import io.github.bucket4j.distributed.remote.CommandResult;
import io.github.bucket4j.distributed.remote.RemoteCommand;
import io.github.bucket4j.distributed.remote.Request;
import io.github.bucket4j.distributed.remote.commands.CreateInitialStateAndExecuteCommand;
import io.github.bucket4j.distributed.serialization.InternalSerializationHelper;
import io.github.bucket4j.distributed.versioning.Version;
import io.github.bucket4j.grid.hazelcast.HazelcastEntryProcessor;
import io.github.bucket4j.grid.hazelcast.HazelcastProxyManager;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ForkJoinPool;

/**
 * Where the answers to the limits' cluster requests continue. Hazelcast hands every callback to the common pool
 * ({@link HazelcastCallbacks}), and so does every later stage built on its futures: each {@code thenApply} of
 * Bucket4j's and ours was a task of its own on the pool, and every task a thread woken. The callbacks of a
 * decision are short and never block, so an answer becomes a plain future, completed on the partition thread that
 * ran the request where it ran on this member, and its stages run there, one after the other, up to the hand-over
 * to the session's event loop. A request may also be made from there (asynchronously, as the callbacks do when a
 * refusal gives tokens back). Answers read by an IO thread (a key owned by another member) go to the pool as
 * before, since an IO thread may not make requests; their later stages then run on that one pool thread.
 */
final class ClusterAnswers {

    private ClusterAnswers() {
    }

    /**
     * The answer as a plain future whose stages run where it completes: on the partition thread that answered, on
     * the caller's thread if the answer was in before the caller could wait for it (it made the request, so it may
     * make more), and on the common pool otherwise.
     */
    static <T> CompletableFuture<T> plain(CompletionStage<T> answer) {
        CompletableFuture<T> plain = new CompletableFuture<>();
        Thread caller = Thread.currentThread();
        answer.whenCompleteAsync((value, error) -> {
            if (error != null) {
                plain.completeExceptionally(error);
            } else {
                plain.complete(value);
            }
        }, task -> {
            Thread current = Thread.currentThread();
            if (current == caller || current instanceof PartitionOperationThread) {
                task.run();
            } else {
                ForkJoinPool.commonPool().execute(task);
            }
        });
        return plain;
    }

    /** Bucket4j's entry-processor buckets, with their answers made {@link #plain}. */
    static final class BucketProxies extends HazelcastProxyManager<String> {

        private final IMap<String, byte[]> map;

        BucketProxies(IMap<String, byte[]> map, ClientSideConfig config) {
            super(map, config);
            this.map = map;
        }

        /**
         * Runs {@code command} on the key's bucket in one request, past any sync optimization, creating the bucket
         * with {@code configuration} first if there is none: what a bucket proxy does, for a command it does not offer.
         */
        <T> CompletableFuture<T> executeAsync(String key, BucketConfiguration configuration, RemoteCommand<T> command) {
            ClientSideConfig config = getClientSideConfig();
            Request<T> request = new Request<>(new CreateInitialStateAndExecuteCommand<>(configuration, command),
                    config.getBackwardCompatibilityVersion(), getClientSideTime(),
                    config.getExpirationAfterWriteStrategy().orElse(null));
            // An error result throws its exception from getData, as a bucket proxy's answer does.
            return executeAsync(key, request).thenApply(CommandResult::getData);
        }

        @Override
        public <T> CompletableFuture<CommandResult<T>> executeAsync(String key, Request<T> request) {
            Version version = request.getBackwardCompatibilityVersion();
            return plain(map.submitToKey(key, new HazelcastEntryProcessor<String, T>(request)))
                    .thenApply(bytes -> InternalSerializationHelper.deserializeResult(bytes, version));
        }
    }
}
