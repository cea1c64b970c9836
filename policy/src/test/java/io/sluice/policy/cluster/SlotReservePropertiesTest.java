package io.sluice.policy.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/**
 * Nodes' reservations of one key, with their requests reaching the key's owner and their answers coming back in any
 * order across nodes, and nodes in fallback episodes granting from their reservations: granted leases never pass the
 * maximum, no node grants from more than the cluster counts for
 * it, and once every lease is released and every node renewed twice, nothing is left.
 */
class SlotReservePropertiesTest {

    private static final long NOW = 1_000_000;
    private static final long TTL = 60_000;

    /** One node: its reserve, its leases held, its request on the way and the answer coming back. */
    private static final class Node {
        final String id;
        final SlotReserve<Integer> reserve;
        int held;
        SlotReserve.Request sent;
        long[] answer;

        Node(String id, LongSupplier clockMillis) {
            this.id = id;
            this.reserve = new SlotReserve<>(clockMillis, TTL);
        }
    }

    private record Cluster(LeaseHolders holders, List<Node> nodes, int max) {
    }

    @Property(tries = 500)
    void grantedLeasesNeverPassTheMaximumAndNothingLeaks(@ForAll @IntRange(min = 1, max = 60) int max,
                                                         @ForAll @IntRange(min = 1, max = 4) int nodeCount,
                                                         @ForAll("steps") List<Integer> steps) {
        Cluster cluster = new Cluster(new LeaseHolders(), nodes(nodeCount, () -> NOW), max);
        List<Node> nodes = cluster.nodes();
        run(cluster, steps, null, node -> { }, () -> assertInvariants(cluster));

        for (Node node : nodes) {
            // Settling answers the acquires still waiting, which may grant more leases to release.
            settle(cluster, node);
            while (node.held > 0) {
                node.held--;
                apply(cluster, node, node.reserve.release());
                settle(cluster, node);
            }
        }
        for (int renewal = 0; renewal < 2; renewal++) {
            for (Node node : nodes) {
                node.reserve.renew().ifPresent(request -> send(node, request));
                settle(cluster, node);
            }
        }
        assertInvariants(cluster);
        assertThat(cluster.holders().isEmpty()).as("no entry left").isTrue();
        assertThat(nodes).allMatch(node -> node.reserve.idle(), "every reserve idle");
    }

    /**
     * With time passing, up to three quarters of a lease time a step, and requests reaching the cluster late:
     * whenever a node grants from its reservation without asking, the cluster still counts that much for it.
     */
    @Property(tries = 300)
    void aNodeGrantsFromItsReservationOnlyWhileTheClusterKeepsIt(@ForAll @IntRange(min = 1, max = 60) int max,
                                                                @ForAll @IntRange(min = 1, max = 4) int nodeCount,
                                                                @ForAll("steps") List<Integer> steps) {
        long[] now = {NOW};
        Cluster cluster = new Cluster(new LeaseHolders(), nodes(nodeCount, () -> now[0]), max);
        run(cluster, steps, now, node -> assertKept(cluster, node, now[0]), () -> { });
    }

    /**
     * Carries out each step on the node it names: an acquire, a release, a request reaching the cluster, its answer
     * coming back, a grant from the reservation alone (a node in a fallback episode, whatever waits for the cluster),
     * a renewal, or, where {@code now} is given, time passing by up to three quarters of a lease time.
     */
    private static void run(Cluster cluster, List<Integer> steps, long[] now, Consumer<Node> afterLocalGrant,
                            Runnable afterStep) {
        int nodeCount = cluster.nodes().size();
        int waiterIds = 0;
        for (int step : steps) {
            Node node = cluster.nodes().get(Math.floorMod(step, nodeCount));
            switch (Math.floorMod(step / nodeCount, 7)) {
                case 0 -> {
                    if (node.reserve.takeLocally(cluster.max())) {
                        node.held++;
                        afterLocalGrant.accept(node);
                    } else {
                        node.reserve.await(waiterIds++, cluster.max()).ifPresent(request -> send(node, request));
                    }
                }
                case 1 -> {
                    if (node.held > 0) {
                        node.held--;
                        apply(cluster, node, node.reserve.release());
                    }
                }
                case 2 -> deliver(cluster, node);
                case 3 -> answer(cluster, node);
                case 4 -> {
                    if (node.reserve.takeReserved(cluster.max())) {
                        node.held++;
                        afterLocalGrant.accept(node);
                    }
                }
                case 5 -> {
                    if (now != null) {
                        now[0] += Math.floorMod(step / nodeCount / 7, 4) * (TTL / 4);
                    }
                }
                default -> node.reserve.renew().ifPresent(request -> send(node, request));
            }
            afterStep.run();
        }
    }

    @Property
    void spareIsNeverMoreThanItsShareOfHalfTheRoomNorTheCap(@ForAll @LongRange(min = -10, max = 1_000_000) long room,
                                                           @ForAll @LongRange(min = 0, max = 10_000) long cap,
                                                           @ForAll @IntRange(min = 1, max = 64) int members) {
        long spare = LeaseUpdate.spare(room, cap, members);

        assertThat(spare).isBetween(0L, cap);
        assertThat(spare * 2 * members).isLessThanOrEqualTo(Math.max(0, room));
    }

    @Provide
    Arbitrary<List<Integer>> steps() {
        return Arbitraries.integers().between(0, 10_000).list().ofMinSize(1).ofMaxSize(300);
    }

    private static List<Node> nodes(int count, LongSupplier clockMillis) {
        List<Node> nodes = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            nodes.add(new Node("node-" + i, clockMillis));
        }
        return nodes;
    }

    /** The cluster, expiring what is due at {@code nowMillis}, counts at least the node's sessions for it. */
    private static void assertKept(Cluster cluster, Node node, long nowMillis) {
        cluster.holders().live(nowMillis);
        assertThat(cluster.holders().reservedBy(node.id)).as("what the cluster keeps for the node")
                .isGreaterThanOrEqualTo(node.reserve.used());
    }

    private static void send(Node node, SlotReserve.Request request) {
        assertThat(node.sent).as("one request in flight per node").isNull();
        assertThat(node.answer).isNull();
        node.sent = request;
    }

    private static void deliver(Cluster cluster, Node node) {
        if (node.sent == null || node.answer != null) {
            return;
        }
        SlotReserve.Request request = node.sent;
        LeaseUpdate update = request.kind() == LeaseUpdate.Kind.GROW
                ? LeaseUpdate.grow(node.id, request.used(), request.amount(), request.max(), request.spareCap(),
                        cluster.nodes().size(), request.atMillis(), TTL)
                : LeaseUpdate.set(node.id, request.used(), request.amount(), request.max(), request.atMillis(), TTL);
        node.answer = update.apply(cluster.holders());
    }

    private static void answer(Cluster cluster, Node node) {
        if (node.answer == null) {
            return;
        }
        SlotReserve.Request request = node.sent;
        long[] answer = node.answer;
        node.sent = null;
        node.answer = null;
        apply(cluster, node, node.reserve.answered(request, answer, cluster.nodes().size()));
    }

    private static void apply(Cluster cluster, Node node, SlotReserve.Outcome<Integer> outcome) {
        assertThat(outcome.failed()).isEmpty();
        node.held += outcome.granted().size();
        Optional<SlotReserve.Request> next = outcome.next();
        next.ifPresent(request -> send(node, request));
    }

    private static void settle(Cluster cluster, Node node) {
        for (int i = 0; i < 1_000 && node.sent != null; i++) {
            deliver(cluster, node);
            answer(cluster, node);
        }
        assertThat(node.sent).as("settled").isNull();
    }

    private static void assertInvariants(Cluster cluster) {
        long held = cluster.nodes().stream().mapToLong(node -> node.held).sum();
        assertThat(held).as("leases granted across the cluster").isLessThanOrEqualTo(cluster.max());
        assertThat(cluster.holders().live(NOW)).as("reservations across the cluster")
                .isLessThanOrEqualTo(cluster.max());
        for (Node node : cluster.nodes()) {
            assertThat(node.reserve.used()).isEqualTo(node.held);
            assertThat(node.reserve.reserved()).as("a node grants from no more than it reserved")
                    .isGreaterThanOrEqualTo(node.reserve.used())
                    .isLessThanOrEqualTo(cluster.holders().reservedBy(node.id));
        }
    }
}
