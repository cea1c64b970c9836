package io.sluice.loadtest.sink;

import io.sluice.loadtest.check.CheckSummary;
import io.sluice.loadtest.load.Backend;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/** A sink started in this process, as the backend of a load run or the demo. */
public final class Sink implements Backend, AutoCloseable {

    private final SinkServer server;
    private SinkRateLog seconds;

    private Sink(SinkServer server) {
        this.server = server;
        this.seconds = new SinkRateLog(server.stats());
    }

    /** A sink without faults on {@code listen} (port 0 for any free port). */
    public static Sink start(InetSocketAddress listen) throws IOException {
        return new Sink(SinkServer.start(listen, "sink.sluice.test", 0));
    }

    /** A sink that takes messages no faster than {@code service} allows, its schedule starting now. */
    public static Sink start(InetSocketAddress listen, ServiceModel service) throws IOException {
        return new Sink(SinkServer.start(listen, "sink.sluice.test", 0, FaultPlan.NONE, service));
    }

    /**
     * A backend of finite capacity on a free loopback port: messages no faster than {@code capacity}, and none
     * answered sooner than {@code serviceTime} after its final dot, so that its unloaded latency is a backend's, not
     * zero. The capacity's steps count from {@link #beginSchedule}.
     */
    public static Sink withCapacity(CapacitySchedule capacity, Duration serviceTime) throws IOException {
        FaultPlan serviceDelay = new FaultPlan(List.of(new Fault(Fault.Stage.DOT, Fault.Action.DELAY, serviceTime, 0, 1,
                new AtomicLong())), 0);
        return new Sink(SinkServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                "sink.sluice.test", 0, serviceDelay, ServiceModel.capacity(capacity)));
    }

    /** A sink on a free loopback port. */
    public static Sink onLoopback() throws IOException {
        return start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    }

    public InetSocketAddress address() {
        return server.localAddress();
    }

    @Override
    public long received() {
        return server.stats().messages();
    }

    @Override
    public Optional<CheckSummary> check(String run, BitSet admitted) {
        return Optional.of(server.stats().ledger().compare(run, admitted));
    }

    /** Accepted messages by the peer address that sent them. */
    public Map<String, Long> messagesByPeer() {
        return server.stats().messagesByPeer();
    }

    /** Starts the capacity's schedule, and the seconds {@link #sampleSecond} reports, again from now. */
    public synchronized void beginSchedule() {
        server.service().begin(System.nanoTime());
        seconds = new SinkRateLog(server.stats());
    }

    /** The messages accepted since the last call (or {@link #beginSchedule}), and their final-dot latency. */
    public synchronized SinkRateLog.Row sampleSecond() {
        return seconds.sample();
    }

    /** The most final dots that waited for their turn at once. */
    public int waitingPeak() {
        return server.stats().waitingPeak();
    }

    @Override
    public void close() {
        server.close();
    }
}
