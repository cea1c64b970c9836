package io.sluice.proxy.egress;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A listener on an address where no delivery may arrive: it counts every connection it accepts and closes it at once.
 * The count is taken before the close, so a relay that connected has been counted by the time it sees the close.
 */
public final class ConnectionTrap implements AutoCloseable {

    private final ServerSocket server;
    private final AtomicInteger connections = new AtomicInteger();
    private final Thread thread;

    private ConnectionTrap(ServerSocket server) {
        this.server = server;
        this.thread = new Thread(this::serve, "connection-trap");
        thread.setDaemon(true);
        thread.start();
    }

    /** Listens on the literal address and port given. */
    public static ConnectionTrap at(String address, int port) {
        try {
            ServerSocket server = new ServerSocket();
            server.bind(new InetSocketAddress(InetAddress.getByName(address), port), 50);
            return new ConnectionTrap(server);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int connections() {
        return connections.get();
    }

    private void serve() {
        while (!server.isClosed()) {
            try (Socket socket = server.accept()) {
                connections.incrementAndGet();
            } catch (IOException e) {
                if (!server.isClosed()) {
                    throw new UncheckedIOException(e);
                }
            }
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
