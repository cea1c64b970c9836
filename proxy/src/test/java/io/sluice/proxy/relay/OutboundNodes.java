package io.sluice.proxy.relay;

import io.sluice.config.HostPort;
import io.sluice.testing.TestPorts;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Outbound relays started in this JVM as the members of one Hazelcast cluster, each with listeners of its own (as
 * {@link RunningOutbound} has them) and every egress source address shared, as pods of one Deployment share a pool.
 */
final class OutboundNodes implements AutoCloseable {

    private final List<RunningOutbound> nodes;

    private OutboundNodes(List<RunningOutbound> nodes) {
        this.nodes = nodes;
    }

    /**
     * Starts {@code count} nodes together and returns once each sees all of them as members.
     *
     * @param each each node as the test wants it; the cluster settings are added here
     */
    static OutboundNodes start(int count, Supplier<RunningOutbound.Builder> each) throws Exception {
        String name = "outbound-" + UUID.randomUUID();
        List<HostPort> members = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            members.add(new HostPort("127.0.0.1", TestPorts.freeOnLoopback()));
        }
        AtomicInteger next = new AtomicInteger();
        List<RunningOutbound> started = new CopyOnWriteArrayList<>();
        OutboundNodes nodes;
        try {
            nodes = new OutboundNodes(ClusterNodes.together(count, () -> {
                HostPort member = members.get(next.getAndIncrement());
                RunningOutbound node = each.get()
                        .cluster(ClusterNodes.member(name, member, members)).start();
                started.add(node);
                return node;
            }));
        } catch (Exception e) {
            started.forEach(RunningOutbound::close);
            throw e;
        }
        try {
            ClusterNodes.awaitOneCluster(() -> nodes.nodes.stream().map(RunningOutbound::server), count);
        } catch (RuntimeException e) {
            nodes.close();
            throw e;
        }
        return nodes;
    }

    List<RunningOutbound> all() {
        return nodes;
    }

    RunningOutbound get(int index) {
        return nodes.get(index);
    }

    /** The ports of the listeners {@code relay} (pool {@code normal}), one per node. */
    List<Integer> ports() {
        return nodes.stream().map(RunningOutbound::port).toList();
    }

    /** The ports of the listeners {@code relay-fallback} (pool {@code fallback}), one per node. */
    List<Integer> fallbackPorts() {
        return nodes.stream().map(RunningOutbound::fallbackPort).toList();
    }

    @Override
    public void close() {
        nodes.forEach(RunningOutbound::close);
    }
}
