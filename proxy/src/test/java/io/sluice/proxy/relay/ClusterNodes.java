package io.sluice.proxy.relay;

import static org.awaitility.Awaitility.await;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import io.sluice.config.ClusterConfig;
import io.sluice.config.DrainConfig;
import io.sluice.config.HostPort;
import io.sluice.config.PolicyConfig;
import io.sluice.proxy.SluiceServer;
import io.sluice.testing.TestPorts;
import io.sluice.testing.TestSecrets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * Sluice nodes on loopback behind a round-robin "load balancer", one Hazelcast cluster (or none, for per-node
 * limits). Every member lists twice as many addresses as nodes, so replacements in a rolling restart find the
 * cluster on addresses of their own.
 */
final class ClusterNodes implements AutoCloseable {

    private final Supplier<RunningSluice.Builder> node;
    private final List<HostPort> memberAddresses;
    private final String clusterName;
    private final boolean clusterWide;
    private final AtomicInteger nextAddress = new AtomicInteger();
    private final List<RunningSluice> started = new CopyOnWriteArrayList<>();
    private final List<RunningSluice> live = new CopyOnWriteArrayList<>();
    private final AtomicInteger turn = new AtomicInteger();

    private ClusterNodes(int count, boolean clusterWide, Supplier<RunningSluice.Builder> node) {
        this.node = node;
        this.clusterWide = clusterWide;
        this.clusterName = "nodes-" + UUID.randomUUID();
        this.memberAddresses = new ArrayList<>();
        for (int i = 0; i < 2 * count; i++) {
            memberAddresses.add(new HostPort("127.0.0.1", TestPorts.freeOnLoopback()));
        }
    }

    static ClusterNodes start(int count, int sinkPort, boolean clusterWide, PolicyConfig policy) throws Exception {
        return start(count, sinkPort, clusterWide, policy, DrainConfig.DEFAULT);
    }

    static ClusterNodes start(int count, int sinkPort, boolean clusterWide, PolicyConfig policy, DrainConfig drain)
            throws Exception {
        return start(count, clusterWide, () -> RunningSluice.relayingTo(sinkPort).policy(policy).drain(drain));
    }

    /**
     * Starts the nodes together (so that they find each other at once) and waits for one cluster.
     *
     * @param each each node as the test wants it; the cluster settings are added here
     */
    static ClusterNodes start(int count, boolean clusterWide, Supplier<RunningSluice.Builder> each)
            throws Exception {
        ClusterNodes nodes = new ClusterNodes(count, clusterWide, each);
        try {
            nodes.live.addAll(together(count, nodes::startNode));
        } catch (Exception e) {
            nodes.close();
            throw e;
        }
        nodes.awaitMembers(count);
        return nodes;
    }

    /**
     * Runs {@code count} starts at once (nodes started together find each other at once) and returns what they
     * started, in the order they were submitted; the first failure is thrown once every start has ended.
     */
    static <T> List<T> together(int count, Callable<T> start) throws Exception {
        ExecutorService starting = Executors.newFixedThreadPool(count);
        List<Future<T>> starts = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            starts.add(starting.submit(start));
        }
        starting.shutdown();
        List<T> started = new ArrayList<>();
        Exception failed = null;
        for (Future<T> each : starts) {
            try {
                started.add(each.get());
            } catch (ExecutionException e) {
                if (failed == null) {
                    failed = e.getCause() instanceof Exception cause ? cause : e;
                }
            }
        }
        if (failed != null) {
            throw failed;
        }
        return started;
    }

    /**
     * The settings of one member of the cluster {@code name}: tcp-ip discovery, signed with the test secret, falling
     * back locally while the cluster does not answer in time.
     */
    static ClusterConfig member(String name, HostPort member, List<HostPort> members) {
        return new ClusterConfig(ClusterConfig.Mode.EMBEDDED, name, member, ClusterConfig.Discovery.TCP_IP, members,
                "", ClusterConfig.OnUnavailable.LOCAL_FALLBACK, Duration.ofMillis(200), 1, Duration.ofSeconds(30), Optional.empty(),
                Optional.of(TestSecrets.CLUSTER), Optional.empty());
    }

    private RunningSluice startNode() throws Exception {
        HostPort member = memberAddresses.get(nextAddress.getAndIncrement());
        ClusterConfig cluster = clusterWide
                ? member(clusterName, member, memberAddresses)
                : ClusterConfig.STANDALONE;
        RunningSluice running = node.get().cluster(cluster).start();
        started.add(running);
        return running;
    }

    /** Waits until every live node sees {@code count} members. */
    void awaitMembers(int count) {
        if (!clusterWide) {
            return;
        }
        awaitOneCluster(() -> live.stream().map(RunningSluice::server), count);
    }

    /** Waits until every one of the servers sees {@code count} members. */
    static void awaitOneCluster(Supplier<Stream<SluiceServer>> servers, int count) {
        await("one cluster of " + count).atMost(Duration.ofSeconds(60)).until(() -> servers.get()
                .allMatch(server -> server.limits().node().orElseThrow().memberCount() == count));
    }

    /** The port of the node for the next session. */
    int next() {
        // One snapshot: a node taken out between reading the size and the element must not fail the choice.
        List<RunningSluice> nodes = List.copyOf(live);
        return nodes.get(Math.floorMod(turn.getAndIncrement(), nodes.size())).port();
    }

    RunningSluice first() {
        return live.get(0);
    }

    List<RunningSluice> live() {
        return List.copyOf(live);
    }

    /** Takes the node out of the rotation, as the load balancer does. */
    void remove(RunningSluice node) {
        live.remove(node);
    }

    /** Starts a new node, waits until it has joined, and puts it in the rotation. */
    RunningSluice addReplacement(int clusterSize) throws Exception {
        RunningSluice node = startNode();
        live.add(node);
        awaitMembers(clusterSize);
        return node;
    }

    /** The node whose member owns the partition of the key. */
    RunningSluice ownerOf(String key) {
        HazelcastInstance any = live.get(0).server().limits().node().orElseThrow().hazelcast();
        // Partitions are assigned on first use.
        any.getMap("sluice-buckets").containsKey(key);
        Member owner = any.getPartitionService().getPartition(key).getOwner();
        return live.stream()
                .filter(node -> node.server().limits().node().orElseThrow().hazelcast().getCluster()
                        .getLocalMember().equals(owner))
                .findFirst().orElseThrow();
    }

    @Override
    public void close() {
        started.forEach(RunningSluice::close);
    }
}
