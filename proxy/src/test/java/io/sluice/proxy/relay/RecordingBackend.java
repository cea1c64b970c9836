package io.sluice.proxy.relay;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;

/**
 * A backend that reads message content at a fixed rate and, where asked, keeps it byte for byte: no packaged
 * SMTP server throttles its reads (what shows whether the relay holds the client back instead of buffering),
 * and smtp-sink stores content without its CRs. Each connection is served on a thread of its own; everything
 * else is the least a client needs (greeting, EHLO, MAIL, RCPT, DATA, QUIT). Where asked, it refuses one HELO
 * name, holds its answer to the EHLO of one until released, or closes the connection at the first EHLO of one.
 * Where asked, it answers a pipelined group only once it has all of it (a probe of the client's pipelining, not
 * something a real server does): MAIL and RCPT are answered when DATA arrives, or when nothing more came for a while.
 * Where asked, it takes a set time to answer the final dot (a loaded backend), refuses MAIL with a given reply, or
 * closes the connection instead of answering the final dot; it counts the transactions it has open at once.
 * Where asked, it has a capacity: a fixed number of workers serve final dots, each in a set time, and the others
 * wait their turn in arrival order, so the reply to the final dot takes longer as more transactions are offered.
 */
final class RecordingBackend implements AutoCloseable {

    private final ServerSocket server;
    private final Thread thread;
    private final int bytesPerTick;
    private final long tickMillis;
    private final boolean keepContent;
    private final AtomicLong contentBytes = new AtomicLong();
    private final List<String> commands = new CopyOnWriteArrayList<>();
    private final List<byte[]> messages = new CopyOnWriteArrayList<>();
    private final AtomicInteger connectionsWithMail = new AtomicInteger();
    private final AtomicInteger accepted = new AtomicInteger();
    private final CountDownLatch heldEhloReleased = new CountDownLatch(1);
    private volatile String refusedHelo = "";
    private volatile String heldHelo = "";
    private volatile String droppingHelo = "";
    private volatile boolean answeringWholeGroups;
    private final AtomicInteger wholeGroups = new AtomicInteger();
    private final AtomicInteger groupsCutShort = new AtomicInteger();
    private volatile long finalReplyDelayMillis;
    private volatile String mailReply = "";
    private volatile long dataReplyDelayMillis;
    private final Set<Socket> connections = ConcurrentHashMap.newKeySet();
    private volatile boolean droppingAtEndOfData;
    private final AtomicInteger openTransactions = new AtomicInteger();
    private final AtomicInteger mostOpenTransactions = new AtomicInteger();
    private volatile Semaphore workers;
    private volatile long serviceMillis;
    private final AtomicLong busyNanos = new AtomicLong();

    private RecordingBackend(int bytesPerTick, long tickMillis, boolean keepContent) throws IOException {
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.bytesPerTick = bytesPerTick;
        this.tickMillis = tickMillis;
        this.keepContent = keepContent;
        this.thread = new Thread(this::serve, "recording-backend");
        thread.setDaemon(true);
        thread.start();
    }

    /** Reads content {@code bytesPerTick} at a time, a tick apart, and only counts it. */
    static RecordingBackend readingSlowly(int bytesPerTick, long tickMillis) throws IOException {
        return new RecordingBackend(bytesPerTick, tickMillis, false);
    }

    /** Reads at full speed and keeps every command line and every message's content. */
    static RecordingBackend keepingContent() throws IOException {
        return new RecordingBackend(64 * 1024, 0, true);
    }

    /** Refuses HELO/EHLO with this name as Postfix's {@code check_helo_access} would. */
    RecordingBackend refusingHelo(String name) {
        refusedHelo = name;
        return this;
    }

    /** Answers the EHLO with this name only after {@link #releaseHeldEhlo()}. */
    RecordingBackend holdingEhloOf(String name) {
        heldHelo = name;
        return this;
    }

    /** Closes the connection, without an answer, at the first EHLO with this name; answers later ones. */
    RecordingBackend droppingFirstEhloOf(String name) {
        droppingHelo = name;
        return this;
    }

    /** Holds the answers to MAIL and RCPT until DATA arrives, or until nothing more came for two seconds. */
    RecordingBackend answeringWholeGroups() {
        answeringWholeGroups = true;
        return this;
    }

    /** Groups whose MAIL, RCPT and DATA all arrived before any of them was answered. */
    int wholeGroups() {
        return wholeGroups.get();
    }

    /** Groups whose MAIL or RCPT had to be answered before DATA came: the client waited for a reply. */
    int groupsCutShort() {
        return groupsCutShort.get();
    }

    /** Takes this long to answer each final dot, as a backend whose queue grows does; 0 answers at once. */
    RecordingBackend delayingFinalReply(long millis) {
        finalReplyDelayMillis = millis;
        return this;
    }

    /**
     * Serves at most {@code count} final dots at once, each in {@code millis}, the others waiting in arrival order:
     * a backend that takes {@code count} transactions per {@code millis}, whose latency grows with its queue.
     */
    RecordingBackend servingAtOnce(int count, long millis) {
        serviceMillis = millis;
        workers = new Semaphore(count, true);
        return this;
    }

    /** The time its workers ({@link #servingAtOnce}) spent serving final dots, summed over them. */
    long busyNanos() {
        return busyNanos.get();
    }

    /** Answers every MAIL with this reply (empty: 250). */
    RecordingBackend refusingMail(String reply) {
        mailReply = reply;
        return this;
    }

    /** Answers DATA this long after the replies before it have left: a pipelined group's last reply comes apart. */
    RecordingBackend delayingDataReply(long millis) {
        dataReplyDelayMillis = millis;
        return this;
    }

    /**
     * Closes every connection open now, as a backend restarting does, and returns once the relay has closed its end
     * of each too (the backend's side in TIME_WAIT, read from the kernel's table): the relay has seen the loss.
     */
    void closeConnectionsAndAwaitTheRelay() throws IOException {
        List<Integer> peers = new ArrayList<>();
        for (Socket socket : connections) {
            peers.add(socket.getPort());
            socket.close();
        }
        Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(10))
                .until(() -> {
                    for (int peer : peers) {
                        if (openTowards(peer)) {
                            return false;
                        }
                    }
                    return true;
                });
    }

    /** Whether the kernel still has this side of a connection to the peer port in a state before TIME_WAIT. */
    private boolean openTowards(int peerPort) throws IOException {
        String local = String.format(":%04X ", server.getLocalPort());
        String remote = String.format(":%04X ", peerPort);
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            for (String line : Files.readAllLines(Path.of(table))) {
                String[] fields = line.trim().split("\\s+");
                // sl local_address rem_address st ...; 06 is TIME_WAIT.
                if (fields.length > 3 && (fields[1] + " ").endsWith(local) && (fields[2] + " ").endsWith(remote)
                        && !fields[3].equals("06")) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Closes the connection at the end of each message, without an answer. */
    RecordingBackend droppingAtEndOfData(boolean value) {
        droppingAtEndOfData = value;
        return this;
    }

    /** The most transactions (MAIL accepted, final dot not answered yet) it had open at once since the last reset. */
    int mostOpenTransactions() {
        return mostOpenTransactions.get();
    }

    /** Starts counting {@link #mostOpenTransactions} from the transactions open now. */
    void resetMostOpenTransactions() {
        mostOpenTransactions.set(openTransactions.get());
    }

    void releaseHeldEhlo() {
        heldEhloReleased.countDown();
    }

    /** Connections that have carried a MAIL command (a client's session, not a health probe). */
    int connectionsWithMail() {
        return connectionsWithMail.get();
    }

    /** Connections accepted so far, whatever they carried. */
    int accepted() {
        return accepted.get();
    }

    /** Connections open now. */
    int openConnections() {
        return connections.size();
    }

    int port() {
        return server.getLocalPort();
    }

    long contentBytes() {
        return contentBytes.get();
    }

    /** The command lines received, without CRLF. */
    List<String> commands() {
        return List.copyOf(commands);
    }

    /** Each message whose end-of-data line arrived: its content as sent, up to and without the ".CRLF" line. */
    List<byte[]> messages() {
        return List.copyOf(messages);
    }

    private void serve() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                accepted.incrementAndGet();
                Thread session = new Thread(() -> serve(socket), "recording-backend-session");
                session.setDaemon(true);
                session.start();
            } catch (IOException e) {
                // Closed.
            }
        }
    }

    private void serve(Socket socket) {
        boolean[] open = new boolean[1];
        connections.add(socket);
        try (socket) {
            session(socket, open);
        } catch (IOException | InterruptedException e) {
            // The session ends.
        } finally {
            connections.remove(socket);
            if (open[0]) {
                openTransactions.decrementAndGet();
            }
        }
    }

    private void session(Socket socket, boolean[] open) throws IOException, InterruptedException {
        InputStream in = socket.getInputStream();
        // Replies leave when the input is drained, so those to a pipelined group go in one write, as from Postfix's
        // smtpd; one write each would wait for the relay's delayed ACK (Nagle) after the first.
        OutputStream out = new BufferedOutputStream(socket.getOutputStream());
        reply(out, "220 slow.test ESMTP");
        boolean carriedMail = false;
        // A MAIL was taken and its transaction is not over: what RCPT and DATA need, as in Postfix's smtpd.
        boolean sender = false;
        StringBuilder held = new StringBuilder();
        while (true) {
            String line;
            try {
                socket.setSoTimeout(held.length() > 0 ? 2000 : 0);
                if (in.available() == 0) {
                    out.flush();
                }
                line = readLine(in);
            } catch (SocketTimeoutException e) {
                groupsCutShort.incrementAndGet();
                reply(out, held.substring(0, held.length() - 2));
                held.setLength(0);
                continue;
            }
            if (line == null) {
                return;
            }
            commands.add(line);
            if (!carriedMail && line.regionMatches(true, 0, "MAIL", 0, 4)) {
                carriedMail = true;
                connectionsWithMail.incrementAndGet();
            }
            String verb = line.length() >= 4 ? line.substring(0, 4).toUpperCase() : line.toUpperCase();
            switch (verb) {
                case "EHLO", "HELO" -> {
                    String name = line.substring(Math.min(5, line.length())).trim();
                    if (name.equals(droppingHelo)) {
                        droppingHelo = "";
                        return;
                    }
                    sender = false;
                    ehlo(out, name);
                }
                case "MAIL", "RCPT" -> {
                    if (verb.equals("MAIL") && !mailReply.isEmpty()) {
                        sender = false;
                        reply(out, mailReply);
                        continue;
                    }
                    if (verb.equals("RCPT") && !sender) {
                        reply(out, held + "503 5.5.1 Error: need MAIL command");
                        held.setLength(0);
                        continue;
                    }
                    sender = true;
                    if (verb.equals("MAIL") && !open[0]) {
                        open[0] = true;
                        mostOpenTransactions.accumulateAndGet(openTransactions.incrementAndGet(), Math::max);
                    }
                    if (answeringWholeGroups) {
                        held.append("250 2.0.0 Ok\r\n");
                    } else {
                        reply(out, "250 2.0.0 Ok");
                    }
                }
                case "DATA" -> {
                    if (held.length() > 0) {
                        wholeGroups.incrementAndGet();
                    }
                    long dataDelay = dataReplyDelayMillis;
                    if (dataDelay > 0) {
                        // The replies before DATA's leave first; DATA's comes later, in a segment of its own.
                        if (held.length() > 0) {
                            reply(out, held.substring(0, held.length() - 2));
                            held.setLength(0);
                        }
                        out.flush();
                        Thread.sleep(dataDelay);
                    }
                    if (!sender) {
                        reply(out, held + "503 5.5.1 Error: need MAIL command");
                        held.setLength(0);
                        continue;
                    }
                    reply(out, held + "354 go ahead");
                    out.flush();
                    held.setLength(0);
                    readContent(in);
                    if (droppingAtEndOfData) {
                        return;
                    }
                    // A loaded backend's queue, not a wait for another thread.
                    long delay = finalReplyDelayMillis;
                    if (delay > 0) {
                        Thread.sleep(delay);
                    }
                    serveInTurn();
                    if (open[0]) {
                        open[0] = false;
                        openTransactions.decrementAndGet();
                    }
                    sender = false;
                    reply(out, "250 2.0.0 Ok: stored");
                }
                case "RSET" -> {
                    sender = false;
                    if (open[0]) {
                        open[0] = false;
                        openTransactions.decrementAndGet();
                    }
                    reply(out, "250 2.0.0 Ok");
                }
                case "QUIT" -> {
                    reply(out, "221 2.0.0 Bye");
                    out.flush();
                    return;
                }
                default -> reply(out, "250 2.0.0 Ok");
            }
        }
    }

    /** One final dot through the workers, where the backend has a capacity: its turn in the queue, then its service. */
    private void serveInTurn() throws InterruptedException {
        Semaphore queue = workers;
        if (queue == null) {
            return;
        }
        queue.acquire();
        try {
            long start = System.nanoTime();
            // The worker's service time: the backend's capacity, not a wait for another thread.
            Thread.sleep(serviceMillis);
            busyNanos.addAndGet(System.nanoTime() - start);
        } finally {
            queue.release();
        }
    }

    private void ehlo(OutputStream out, String name) throws IOException, InterruptedException {
        if (name.equals(refusedHelo)) {
            reply(out, "550 5.7.1 <" + name + ">: Helo command rejected: Access denied");
            return;
        }
        if (name.equals(heldHelo)) {
            heldEhloReleased.await();
        }
        reply(out, "250-slow.test\r\n250-PIPELINING\r\n250 8BITMIME");
    }

    private void readContent(InputStream in) throws IOException, InterruptedException {
        ByteArrayOutputStream kept = new ByteArrayOutputStream();
        byte[] buffer = new byte[bytesPerTick];
        int matched = 0;
        byte[] end = "\r\n.\r\n".getBytes(StandardCharsets.US_ASCII);
        // The message starts right after DATA's CRLF, so a leading ".\r\n" also ends it.
        matched = 2;
        while (true) {
            int n = in.read(buffer);
            if (n < 0) {
                throw new IOException("closed during content");
            }
            for (int i = 0; i < n; i++) {
                matched = buffer[i] == end[matched] ? matched + 1 : (buffer[i] == '\r' ? 1 : 0);
                if (matched == end.length) {
                    contentBytes.addAndGet(i + 1);
                    if (keepContent) {
                        kept.write(buffer, 0, i + 1);
                        byte[] content = kept.toByteArray();
                        messages.add(Arrays.copyOf(content, content.length - 3));
                    }
                    return;
                }
            }
            contentBytes.addAndGet(n);
            if (keepContent) {
                kept.write(buffer, 0, n);
            }
            Thread.sleep(tickMillis);
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        int previous = -1;
        for (int b = in.read(); b >= 0; b = in.read()) {
            if (b == '\n' && previous == '\r') {
                return line.substring(0, line.length() - 1);
            }
            line.append((char) b);
            previous = b;
        }
        return null;
    }

    /** Queues a reply; it leaves with the next flush. */
    private static void reply(OutputStream out, String text) throws IOException {
        out.write((text + "\r\n").getBytes(StandardCharsets.US_ASCII));
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
