package io.sluice.proxy.relay;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP forwarder on 127.0.0.1 in front of one port that a test can cut (every forwarded connection closed, new
 * ones refused) and restore: put in front of each Hazelcast member, it partitions processes on one machine. In front
 * of several ports it takes turns, as a load balancer in front of several nodes does.
 */
final class TcpForwarder implements AutoCloseable {

    private final List<Integer> targetPorts;
    private final AtomicInteger turn = new AtomicInteger();
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private volatile ServerSocket listener;

    private TcpForwarder(List<Integer> targetPorts, ServerSocket listener) {
        this.targetPorts = List.copyOf(targetPorts);
        this.listener = listener;
    }

    /** Listens on a free port and forwards each connection to {@code targetPort} on 127.0.0.1. */
    static TcpForwarder to(int targetPort) {
        return roundRobin(List.of(targetPort));
    }

    /** Listens on a free port and forwards each connection to the next of {@code targetPorts} on 127.0.0.1. */
    static TcpForwarder roundRobin(List<Integer> targetPorts) {
        TcpForwarder forwarder = new TcpForwarder(targetPorts, listen(0));
        forwarder.accepting(forwarder.listener);
        return forwarder;
    }

    int port() {
        return listener.getLocalPort();
    }

    /** Closes every forwarded connection and stops listening: connecting is refused until {@link #restore()}. */
    synchronized void cut() {
        closeQuietly(listener);
        sockets.forEach(TcpForwarder::closeQuietly);
        sockets.clear();
    }

    /** Listens again on the same port. */
    synchronized void restore() {
        if (listener.isClosed()) {
            listener = listen(listener.getLocalPort());
            accepting(listener);
        }
    }

    @Override
    public void close() {
        cut();
    }

    private static ServerSocket listen(int port) {
        try {
            ServerSocket socket = new ServerSocket();
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port));
            return socket;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Accepts until the listener is closed. */
    private void accepting(ServerSocket server) {
        daemon("forwarder-accept-" + server.getLocalPort(), () -> {
            while (!server.isClosed()) {
                try {
                    forward(server, server.accept());
                } catch (IOException e) {
                    // closed by cut()
                }
            }
        });
    }

    private void forward(ServerSocket server, Socket client) {
        Socket target = new Socket();
        sockets.add(client);
        sockets.add(target);
        try {
            int targetPort = targetPorts.get(Math.floorMod(turn.getAndIncrement(), targetPorts.size()));
            target.connect(new InetSocketAddress("127.0.0.1", targetPort), 5_000);
            if (server.isClosed()) {
                throw new IOException("cut while connecting");
            }
        } catch (IOException e) {
            closeQuietly(client);
            closeQuietly(target);
            return;
        }
        daemon("forwarder-" + client.getPort() + "-out", () -> pump(client, target));
        daemon("forwarder-" + client.getPort() + "-in", () -> pump(target, client));
    }

    /** Copies until either side closes, then closes both. */
    private void pump(Socket from, Socket to) {
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            byte[] buffer = new byte[16 * 1024];
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // either side closed or was cut
        } finally {
            closeQuietly(from);
            closeQuietly(to);
            sockets.remove(from);
            sockets.remove(to);
        }
    }

    private static void daemon(String name, Runnable task) {
        Thread thread = new Thread(task, name);
        thread.setDaemon(true);
        thread.start();
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            // already closed
        }
    }
}
