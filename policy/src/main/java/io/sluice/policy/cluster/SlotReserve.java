package io.sluice.policy.cluster;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * One concurrency key at this node: the slots the cluster counts for this node (its reservation), the sessions
 * holding one, and the acquires waiting for the cluster. Sessions take slots from the reservation without asking
 * the cluster while it has spare ones; when it has none, one request asks for the slots of all waiting sessions and a
 * spare ({@link LeaseUpdate#spare}), and releases return slots to it.
 *
 * <p>At most one request of this node for the key is in flight, and each states the node's numbers whole, so the
 * cluster's count of this node never depends on the order requests run in, and the reservation here is never more
 * than the cluster counts: it grows when the cluster's answer says so, and shrinks when the request that shrinks it
 * is sent. Idle spare goes back at the renewal, and an excess after releases at once. The cluster keeps a reservation
 * for one lease time after the request that last stated it; past that, with no answer since, it may have given the
 * slots to other nodes, and none is granted from it here (two thirds of a lease time after, so that clocks may differ
 * by a third).
 *
 * <p>Not thread-safe: the store calls it under its monitor.
 *
 * @param <W> what stands for a waiting acquire
 */
final class SlotReserve<W> {

    /** Spare a node may keep whatever few sessions it has, where the room allows. */
    static final long MIN_SPARE = 8;

    /** A request to send for this key, made at {@code atMillis}: the cluster keeps what it states a lease time on. */
    record Request(LeaseUpdate.Kind kind, long used, long amount, long max, long spareCap, long atMillis) {
    }

    /** Acquires answered by a change, and the request to send next, if any. */
    record Outcome<W>(List<W> granted, List<W> refused, List<W> failed, Optional<Request> next) {
    }

    private record Waiter<W>(W waiter, long max) {
    }

    private final LongSupplier clockMillis;
    private final long ttlMillis;
    private long used;
    private long reserved;
    // The maximum the reservation was granted under: a caller with a lower one asks the cluster.
    private long grantedMax = Long.MAX_VALUE;
    // The spare worth keeping after releases, from the room the cluster's last answer left.
    private long keep;
    // Until when the cluster surely keeps the reservation: a lease time after the last request it applied was made,
    // less a third of it for the other nodes' clocks, by which the cluster expires it.
    private long keptUntilMillis = Long.MIN_VALUE;
    private boolean spareTaken;
    private boolean busy;
    private boolean renewDue;
    private boolean retired;
    private final ArrayDeque<Waiter<W>> waiting = new ArrayDeque<>();
    private List<Waiter<W>> batch = List.of();

    /** A reservation on the wall clock {@code clockMillis}, kept by the cluster {@code ttlMillis} after each request. */
    SlotReserve(LongSupplier clockMillis, long ttlMillis) {
        this.clockMillis = clockMillis;
        this.ttlMillis = ttlMillis;
    }

    long used() {
        return used;
    }

    long reserved() {
        return reserved;
    }

    boolean busy() {
        return busy;
    }

    /** Takes a slot from the reservation if it has a spare one for a caller of {@code max} and none waits before it. */
    boolean takeLocally(long max) {
        return waiting.isEmpty() && takeReserved(max);
    }

    /**
     * Takes a slot from the reservation if it has a spare one for a caller of {@code max}, whoever waits: the grant of
     * a node that cannot ask the cluster now, while the waiting acquires have the cluster's answer coming.
     */
    boolean takeReserved(long max) {
        if (!spareFor(max)) {
            return false;
        }
        used++;
        spareTaken = true;
        return true;
    }

    /** Queues an acquire for the cluster; the request to send if none is in flight. */
    Optional<Request> await(W waiter, long max) {
        waiting.add(new Waiter<>(waiter, max));
        return busy ? Optional.empty() : Optional.of(grow());
    }

    /** A session gave its slot back: to a waiting acquire, or to the reservation; returns what that answered. */
    Outcome<W> release() {
        used--;
        return settle(List.of(), List.of(), List.of());
    }

    /**
     * The periodic restatement: the sessions' slots and, if this node took a spare slot since the last one, the
     * spare still worth keeping. Empty while a request is in flight: its answer sends it.
     */
    Optional<Request> renew() {
        if (busy) {
            renewDue = true;
            return Optional.empty();
        }
        return Optional.of(restate());
    }

    /** The cluster answered {@code request} with {@link LeaseUpdate.Answer}'s numbers. */
    Outcome<W> answered(Request request, long[] answer, int members) {
        busy = false;
        keptUntilMillis = keptUntil(request);
        List<W> granted = new ArrayList<>();
        List<W> refused = new ArrayList<>();
        if (request.kind() == LeaseUpdate.Kind.GROW) {
            grantedMax = request.max();
            long expected = reserved + answer[LeaseUpdate.Answer.ADDED];
            // Less only if the cluster had lost this node's slots (an expired lease): never count on more than it has.
            reserved = Math.min(expected, answer[LeaseUpdate.Answer.RESERVED]);
            long clusterGranted = answer[LeaseUpdate.Answer.GRANTED];
            for (Waiter<W> waiter : batch) {
                if (clusterGranted > 0) {
                    clusterGranted--;
                    used++;
                    granted.add(waiter.waiter());
                } else if (spareFor(waiter.max())) {
                    // Slots released while the request was out.
                    used++;
                    spareTaken = true;
                    granted.add(waiter.waiter());
                } else {
                    refused.add(waiter.waiter());
                }
            }
            reserved = Math.max(reserved, used);
            batch = List.of();
        }
        keep = Math.min(Math.max(MIN_SPARE, used), LeaseUpdate.spare(answer[LeaseUpdate.Answer.FREE], Long.MAX_VALUE,
                members));
        return settle(granted, refused, List.of());
    }

    /**
     * The request failed: its waiting acquires fail. The cluster may or may not have applied it; either way it counts
     * at least the reservation here, and the next renewal restates it.
     */
    Outcome<W> failed(Request request) {
        busy = false;
        // Applied or not: if it was, the cluster keeps the reservation until the request's time says.
        keptUntilMillis = Math.min(keptUntilMillis, keptUntil(request));
        renewDue = true;
        List<W> failed = batch.stream().map(Waiter::waiter).toList();
        batch = List.of();
        return settle(List.of(), List.of(), failed);
    }

    /** Nothing held, reserved, waiting or in flight: the store may forget the key, and does so by retiring it. */
    boolean idle() {
        return !busy && used == 0 && reserved == 0 && waiting.isEmpty();
    }

    void retire() {
        retired = true;
    }

    boolean retired() {
        return retired;
    }

    private long keptUntil(Request request) {
        return request.atMillis() + ttlMillis - ttlMillis / 3;
    }

    private boolean spareFor(long max) {
        return reserved > used && max >= grantedMax && clockMillis.getAsLong() < keptUntilMillis;
    }

    /** Hands spare slots to waiting acquires, then picks what to send: a request for the rest, a renewal, a give back. */
    private Outcome<W> settle(List<W> granted, List<W> refused, List<W> failed) {
        List<W> served = granted;
        if (!busy) {
            while (!waiting.isEmpty() && spareFor(waiting.peek().max())) {
                used++;
                spareTaken = true;
                if (served.isEmpty()) {
                    served = new ArrayList<>();
                }
                served.add(waiting.poll().waiter());
            }
        }
        return new Outcome<>(served, refused, failed, next());
    }

    private Optional<Request> next() {
        if (busy) {
            return Optional.empty();
        }
        if (!waiting.isEmpty()) {
            return Optional.of(grow());
        }
        if (renewDue) {
            return Optional.of(restate());
        }
        if (reserved - used > 2 * keep) {
            return Optional.of(shrinkTo(used + keep));
        }
        return Optional.empty();
    }

    private Request grow() {
        batch = new ArrayList<>(waiting);
        waiting.clear();
        long max = batch.stream().mapToLong(Waiter::max).min().orElseThrow();
        busy = true;
        long spareCap = Math.max(MIN_SPARE, used + batch.size());
        return new Request(LeaseUpdate.Kind.GROW, used, batch.size(), max, spareCap, clockMillis.getAsLong());
    }

    private Request restate() {
        renewDue = false;
        long spare = spareTaken ? Math.min(reserved - used, keep) : 0;
        spareTaken = false;
        return shrinkTo(used + spare);
    }

    private Request shrinkTo(long target) {
        // Counted down before the cluster is: the cluster never counts less than this node grants from.
        reserved = target;
        busy = true;
        return new Request(LeaseUpdate.Kind.SET, used, target, grantedMax, 0, clockMillis.getAsLong());
    }
}
