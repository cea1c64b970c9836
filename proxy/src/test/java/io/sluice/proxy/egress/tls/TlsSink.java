package io.sluice.proxy.egress.tls;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * A remote MX of outbound TLS tests: an SMTP sink on one loopback address that offers STARTTLS with the key given
 * (or none), takes every message, and records each message's Subject with whether it came over TLS.
 */
public final class TlsSink implements AutoCloseable {

    /** A message taken: its Subject, and whether the connection was TLS by then. */
    public record Taken(String subject, boolean tls) {}

    private final ServerSocket server;
    private final SSLContext tls;
    private final String name;
    private final List<Taken> messages = new CopyOnWriteArrayList<>();
    private final List<String> contents = new CopyOnWriteArrayList<>();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger handshakes = new AtomicInteger();
    private volatile boolean closed;
    private volatile boolean closingAfterTls;

    private TlsSink(ServerSocket server, SSLContext tls, String name) {
        this.server = server;
        this.tls = tls;
        this.name = name;
        Thread thread = new Thread(this::serve, "tls-sink-" + name);
        thread.setDaemon(true);
        thread.start();
    }

    /** A sink at the address and port, offering STARTTLS with the context's key where there is one. */
    public static TlsSink start(String address, int port, String name, SSLContext tls) {
        try {
            ServerSocket server = new ServerSocket();
            server.setReuseAddress(true);
            server.bind(new InetSocketAddress(InetAddress.getByName(address), port), 50);
            return new TlsSink(server, tls, name);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** From now on the EHLO that follows a good handshake gets 421: the sink goes away once TLS is up. */
    public TlsSink closingAfterTls() {
        closingAfterTls = true;
        return this;
    }

    public List<Taken> messages() {
        return List.copyOf(messages);
    }

    /** The messages taken, as sent (dot-stuffing undone), lines ending in CRLF. */
    public List<String> contents() {
        return List.copyOf(contents);
    }

    /** Connections accepted so far. */
    public int connections() {
        return connections.get();
    }

    /** TLS handshakes that completed. */
    public int handshakes() {
        return handshakes.get();
    }

    private void serve() {
        while (!closed) {
            try {
                Socket socket = server.accept();
                connections.incrementAndGet();
                sockets.add(socket);
                Thread thread = new Thread(() -> session(socket), "tls-sink-session-" + name);
                thread.setDaemon(true);
                thread.start();
            } catch (IOException e) {
                if (!closed) {
                    throw new UncheckedIOException(e);
                }
            }
        }
    }

    private void session(Socket plain) {
        Socket socket = plain;
        boolean secure = false;
        try {
            BufferedReader in = reader(socket);
            OutputStream out = socket.getOutputStream();
            write(out, "220 " + name + " ESMTP test sink");
            String subject = "";
            String line;
            while ((line = in.readLine()) != null) {
                String verb = line.length() >= 4 ? line.substring(0, 4).toUpperCase(java.util.Locale.ROOT) : line;
                switch (verb) {
                    case "EHLO" -> {
                        if (secure && closingAfterTls) {
                            write(out, "421 4.3.2 " + name + " closing");
                            return;
                        }
                        write(out, "250-" + name + (tls != null && !secure
                                ? "\r\n250-PIPELINING\r\n250 STARTTLS" : "\r\n250 PIPELINING"));
                    }
                    case "STAR" -> {
                        if (tls == null || secure) {
                            write(out, "502 5.5.1 not offered");
                            continue;
                        }
                        write(out, "220 2.0.0 go ahead");
                        SSLSocket upgraded = (SSLSocket) tls.getSocketFactory().createSocket(socket,
                                socket.getInetAddress().getHostAddress(), socket.getPort(), true);
                        upgraded.setUseClientMode(false);
                        try {
                            upgraded.startHandshake();
                        } catch (IOException e) {
                            // The client refused the certificate: that is the test's point, not a fault here.
                            return;
                        }
                        handshakes.incrementAndGet();
                        socket = upgraded;
                        sockets.add(socket);
                        secure = true;
                        in = reader(socket);
                        out = socket.getOutputStream();
                    }
                    case "DATA" -> {
                        write(out, "354 go ahead");
                        subject = "";
                        StringBuilder content = new StringBuilder();
                        String data;
                        while ((data = in.readLine()) != null && !data.equals(".")) {
                            if (data.startsWith("Subject: ") && subject.isEmpty()) {
                                subject = data.substring("Subject: ".length());
                            }
                            content.append(data.startsWith(".") ? data.substring(1) : data).append("\r\n");
                        }
                        contents.add(content.toString());
                        messages.add(new Taken(subject, secure));
                        write(out, "250 2.0.0 taken");
                    }
                    case "QUIT" -> {
                        write(out, "221 2.0.0 bye");
                        return;
                    }
                    default -> write(out, "250 2.0.0 ok");
                }
            }
        } catch (IOException e) {
            // The relay hung up: nothing to record.
        } finally {
            try {
                socket.close();
            } catch (IOException ignored) {
                // Closing anyway.
            }
        }
    }

    private static BufferedReader reader(Socket socket) throws IOException {
        return new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1));
    }

    private static void write(OutputStream out, String reply) throws IOException {
        out.write((reply + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // Closing anyway.
        }
        for (Socket socket : sockets) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // Closing anyway.
            }
        }
    }
}
