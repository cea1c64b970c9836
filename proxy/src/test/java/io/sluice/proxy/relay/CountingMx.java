package io.sluice.proxy.relay;

import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A remote MX for outbound tests that counts at the receiver what the relay does to it: the connections it accepted,
 * those open now and the most open at once, and the messages it took (by their Subject), with the connection each
 * came on. Where asked, it holds the final reply of each message until {@link #release} gives it a permit, so that
 * deliveries overlap. Each connection is served on a thread of its own; it offers PIPELINING and answers RSET (with a
 * reply of the test's where asked). Where asked, it defers a source address as big receivers do: once that source
 * had its messages, each MAIL from it gets the test's reply (a 421 closes the connection), and the time of each such
 * reply is kept. Each message's body (the lines after its header, dot-unstuffed) is kept as a SHA-256 checksum, to be
 * compared with {@link #checksum} of what was submitted.
 */
final class CountingMx implements AutoCloseable {

    private final ServerSocket server;
    private final Thread thread;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final AtomicInteger accepted = new AtomicInteger();
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicInteger mostOpen = new AtomicInteger();
    private final AtomicInteger resets = new AtomicInteger();
    private final List<String> subjects = new CopyOnWriteArrayList<>();
    private final List<Integer> connectionOfMessage = new CopyOnWriteArrayList<>();
    private volatile Semaphore finalReplies;
    // What RSET is answered; null hangs up instead.
    private volatile String resetReply = "250 2.0.0 Ok";
    private volatile boolean closed;
    private final List<String> sourceOfMessage = new CopyOnWriteArrayList<>();
    private final List<String> bodyChecksums = new CopyOnWriteArrayList<>();
    private final Map<String, List<Long>> deferredAt = new ConcurrentHashMap<>();
    private final Map<String, Deferral> deferrals = new ConcurrentHashMap<>();

    /** Each MAIL from {@code source} once it had {@code messages} messages gets {@code reply}. */
    private record Deferral(int messages, String reply) {
    }

    private CountingMx(String address, int port) throws IOException {
        server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getByName(address), port), 200);
        thread = new Thread(this::serve, "counting-mx-" + address);
        thread.setDaemon(true);
        thread.start();
    }

    static CountingMx startAt(String address, int port) throws IOException {
        return new CountingMx(address, port);
    }

    /** Holds every final reply until a permit is {@link #release}d for it. */
    CountingMx holdingFinalReplies() {
        finalReplies = new Semaphore(0);
        return this;
    }

    /** Answers every RSET with {@code reply} instead of 250, and hangs up on it where {@code reply} is null. */
    CountingMx answeringResetWith(String reply) {
        resetReply = reply;
        return this;
    }

    /** Answers each MAIL from {@code source}, once {@code messages} of its messages were taken, with {@code reply}. */
    CountingMx deferring(String source, int messages, String reply) {
        deferrals.put(source, new Deferral(messages, reply));
        return this;
    }

    /** Takes mail from every source again. */
    void stopDeferring() {
        deferrals.clear();
    }

    /** The SHA-256 checksum of each message's body taken, in the order taken. */
    List<String> bodyChecksums() {
        return new ArrayList<>(bodyChecksums);
    }

    /** When ({@link System#nanoTime}) each deferral reply to MAIL from the source was sent, in order. */
    List<Long> deferralsSentTo(String source) {
        return List.copyOf(deferredAt.getOrDefault(source, List.of()));
    }

    /** The checksum {@link #bodyChecksums} keeps of a body of these lines (CRLF after each). */
    static String checksum(List<String> bodyLines) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (String line : bodyLines) {
                digest.update((line + "\r\n").getBytes(StandardCharsets.UTF_8));
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /** The source address each message taken came from, in the order taken. */
    List<String> sources() {
        return new ArrayList<>(sourceOfMessage);
    }

    /** How many messages the source had taken. */
    long messagesFrom(String source) {
        return sourceOfMessage.stream().filter(source::equals).count();
    }

    /** Closes every connection open now, as a receiver does to connections idle too long. */
    void hangUpAll() throws IOException {
        for (Socket socket : sockets) {
            socket.close();
        }
    }

    /** Lets {@code count} held final replies go. */
    void release(int count) {
        finalReplies.release(count);
    }

    /** Final replies waiting for a permit now. */
    int heldFinalReplies() {
        Semaphore held = finalReplies;
        return held == null ? 0 : held.getQueueLength();
    }

    int connectionsAccepted() {
        return accepted.get();
    }

    int connectionsOpen() {
        return open.get();
    }

    /** The most connections it had open at once. */
    int mostConnectionsOpen() {
        return mostOpen.get();
    }

    int resets() {
        return resets.get();
    }

    /** The Subject of each message taken, in the order taken. */
    List<String> subjects() {
        return new ArrayList<>(subjects);
    }

    /** How many distinct connections the messages taken came on. */
    long connectionsWithMessages() {
        return connectionOfMessage.stream().distinct().count();
    }

    private void serve() {
        while (!closed) {
            try {
                Socket socket = server.accept();
                int number = accepted.incrementAndGet();
                mostOpen.accumulateAndGet(open.incrementAndGet(), Math::max);
                sockets.add(socket);
                Thread connection = new Thread(() -> session(socket, number), "counting-mx-connection");
                connection.setDaemon(true);
                connection.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void session(Socket socket, int number) {
        boolean counted = true;
        try (socket) {
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                    StandardCharsets.US_ASCII));
            // Replies to a pipelined group leave together once its last command is read, as Postfix's smtpd sends them.
            OutputStream out = new BufferedOutputStream(socket.getOutputStream());
            write(out, "220 mx.counting.test ESMTP");
            out.flush();
            boolean inTransaction = false;
            for (String line = read(in, out); line != null; line = read(in, out)) {
                String verb = line.length() < 4 ? line.toUpperCase() : line.substring(0, 4).toUpperCase();
                switch (verb) {
                    case "EHLO" -> write(out, "250-mx.counting.test\r\n250-PIPELINING\r\n250 8BITMIME");
                    case "HELO", "NOOP" -> write(out, "250 Ok");
                    case "MAIL" -> {
                        String source = socket.getInetAddress().getHostAddress();
                        Deferral deferral = deferrals.get(source);
                        if (deferral == null || messagesFrom(source) < deferral.messages()) {
                            inTransaction = true;
                            write(out, "250 2.1.0 Ok");
                        } else if (deferral.reply().startsWith("421")) {
                            deferred(source);
                            write(out, deferral.reply());
                            out.flush();
                            return;
                        } else {
                            deferred(source);
                            write(out, deferral.reply());
                        }
                    }
                    case "RCPT" -> write(out, inTransaction ? "250 2.1.5 Ok" : "503 5.5.1 MAIL first");
                    case "RSET" -> {
                        resets.incrementAndGet();
                        String reply = resetReply;
                        if (reply == null) {
                            return;
                        }
                        inTransaction &= !reply.startsWith("2");
                        write(out, reply);
                        if (reply.startsWith("421")) {
                            // RFC 5321 §3.8: a server that says 421 closes the connection.
                            out.flush();
                            return;
                        }
                    }
                    case "DATA" -> {
                        write(out, "354 End data with <CR><LF>.<CR><LF>");
                        out.flush();
                        String subject = "";
                        List<String> body = null;
                        for (String content = in.readLine(); content != null && !content.equals(".");
                                content = in.readLine()) {
                            // RFC 5321 §4.5.2: a leading dot was doubled by the sender.
                            String unstuffed = content.startsWith(".") ? content.substring(1) : content;
                            if (body != null) {
                                body.add(unstuffed);
                            } else if (unstuffed.isEmpty()) {
                                body = new ArrayList<>();
                            } else if (subject.isEmpty() && unstuffed.startsWith("Subject: ")) {
                                subject = unstuffed.substring("Subject: ".length());
                            }
                        }
                        Semaphore held = finalReplies;
                        if (held != null && !held.tryAcquire(60, TimeUnit.SECONDS)) {
                            return;
                        }
                        subjects.add(subject);
                        bodyChecksums.add(checksum(body == null ? List.of() : body));
                        connectionOfMessage.add(number);
                        sourceOfMessage.add(socket.getInetAddress().getHostAddress());
                        inTransaction = false;
                        write(out, "250 2.0.0 Ok: queued");
                        out.flush();
                    }
                    case "QUIT" -> {
                        // Over for the receiver once it answers QUIT, before the client closes: counted so.
                        counted = false;
                        open.decrementAndGet();
                        write(out, "221 2.0.0 Bye");
                        out.flush();
                        return;
                    }
                    default -> write(out, "502 5.5.2 Command not recognized");
                }
            }
        } catch (IOException | InterruptedException e) {
            // The relay closed the connection: counted below like any other end.
        } finally {
            if (counted) {
                open.decrementAndGet();
            }
            sockets.remove(socket);
        }
    }

    private void deferred(String source) {
        deferredAt.computeIfAbsent(source, s -> new CopyOnWriteArrayList<>()).add(System.nanoTime());
    }

    private static void write(OutputStream out, String reply) throws IOException {
        out.write((reply + "\r\n").getBytes(StandardCharsets.US_ASCII));
    }

    /** The next command line, once the replies to those before it are sent if nothing more has come yet. */
    private static String read(BufferedReader in, OutputStream out) throws IOException {
        if (!in.ready()) {
            out.flush();
        }
        return in.readLine();
    }

    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        for (Socket socket : sockets) {
            socket.close();
        }
    }
}
