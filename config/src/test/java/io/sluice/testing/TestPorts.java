package io.sluice.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * TCP ports for the servers a test starts, chosen outside the kernel's ephemeral range.
 *
 * <p>A port from {@code bind(0)} is ephemeral: between the probe and the server's own bind, any outgoing connection
 * on the machine (a Hazelcast member reconnecting, an HTTP client) may take it as its source port, and the server
 * then fails with "address already in use". Ports below the ephemeral range are only ever taken by an explicit
 * bind, and each JVM hands them out in turn from a random start, so two tests never get the same one.
 */
public final class TestPorts {

    private static final Path EPHEMERAL_RANGE = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
    private static final int LOWEST = 10_000;
    private static final int MIN_SPAN = 4_096;
    private static final Span SPAN = spanOutsideEphemeral();
    private static final AtomicInteger TURN = new AtomicInteger(ThreadLocalRandom.current().nextInt(SPAN.size()));

    private TestPorts() {
    }

    /** A port on 127.0.0.1 that is free and that no other caller in this JVM got. */
    public static int freeOnLoopback() {
        return free(InetAddress.getLoopbackAddress());
    }

    /** A port that is free on every address, so that servers on 127.0.0.2, .3, ... can share it. */
    public static int freeOnEveryAddress() {
        return free(null);
    }

    private static int free(InetAddress address) {
        for (int tries = 0; tries < SPAN.size(); tries++) {
            int port = SPAN.first() + Math.floorMod(TURN.getAndIncrement(), SPAN.size());
            try (ServerSocket probe = new ServerSocket(port, 1, address)) {
                return port;
            } catch (IOException taken) {
                // in use by something else on this machine: try the next one
            }
        }
        throw new IllegalStateException("no free port in " + SPAN);
    }

    /** Ports {@code first} to {@code first + size - 1}. */
    private record Span(int first, int size) {
    }

    // Below the ephemeral range when it leaves room there (Linux's default starts at 32768), else above it.
    private static Span spanOutsideEphemeral() {
        int low = 32_768;
        int high = 60_999;
        try {
            String[] range = Files.readAllLines(EPHEMERAL_RANGE).get(0).trim().split("\\s+");
            low = Integer.parseInt(range[0]);
            high = Integer.parseInt(range[1]);
        } catch (IOException | RuntimeException notLinux) {
            // keep Linux's defaults
        }
        if (low - LOWEST >= MIN_SPAN) {
            return new Span(LOWEST, low - LOWEST);
        }
        if (65_535 - high >= MIN_SPAN) {
            return new Span(high + 1, 65_535 - high);
        }
        throw new IllegalStateException("no room for test ports outside the ephemeral range " + low + "-" + high
                + " (" + EPHEMERAL_RANGE + ")");
    }
}
