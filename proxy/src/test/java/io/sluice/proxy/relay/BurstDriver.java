package io.sluice.proxy.relay;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntSupplier;

/**
 * An open-loop SMTP burst: starts sessions at a fixed rate for a fixed time, whatever the answers, one message
 * each, and records how each ended. Bounded: it stops starting sessions at the end of its duration and waits
 * a bounded time for the ones under way.
 *
 * <p>On a busy machine the sessions fall behind their schedule: a session due while every worker is busy waits
 * in a queue. Its node is chosen when it really starts, as a load balancer chooses when the connection comes, not
 * when it was due; and a session still waiting at the end of the duration is not started at all.
 */
final class BurstDriver {

    /** How a session ended. */
    enum Outcome {
        /** 250 after the final dot. */
        DELIVERED,
        /** A 4xx instead of the greeting. */
        REFUSED_AT_CONNECT,
        /** A 4xx to MAIL. */
        REFUSED_AT_MAIL,
        /** A 4xx at another stage, such as a draining node's 421 4.3.2: the client keeps its message. */
        TEMPFAILED,
        /** Anything else: an error the client would not expect from flow control. */
        ERROR
    }

    /**
     * One session's end, at {@code nanos} after the start of the burst, on the node listening on {@code port}; its
     * MAIL command was sent at {@code mailSentNanos} and answered at {@code mailAnsweredNanos} (both -1 if it never
     * got that far), so the admission decision was made between the two.
     */
    record Ended(Outcome outcome, long nanos, String detail, int port, long mailSentNanos, long mailAnsweredNanos) {

        /** Whether the session's MAIL was answered in {@code [fromNanos, toNanos)}. */
        boolean decidedIn(long fromNanos, long toNanos) {
            return mailAnsweredNanos >= fromNanos && mailAnsweredNanos < toNanos;
        }
    }

    private final IntSupplier nextPort;
    private final double sessionsPerSecond;
    private final Duration duration;
    private final Map<Integer, AtomicInteger> inFlight = new ConcurrentHashMap<>();
    // Choosing a session's node and counting it in flight are one step, so that once a node is out of the rotation
    // a zero in flight means no session of the burst will reach it any more.
    private final Object choosing = new Object();
    private final List<Ended> ended = Collections.synchronizedList(new ArrayList<>());
    private final AtomicLong started = new AtomicLong();
    private volatile long startNanos;

    /** @param nextPort the port of the node to send the next session to (a load balancer's choice) */
    BurstDriver(IntSupplier nextPort, double sessionsPerSecond, Duration duration) {
        this.nextPort = nextPort;
        this.sessionsPerSecond = sessionsPerSecond;
        this.duration = duration;
    }

    /**
     * Runs the burst; {@code atNanos} runs once on the pacing thread when that much of the burst has passed (or
     * never, if null).
     */
    List<Ended> run(long atNanos, Runnable action) throws InterruptedException {
        ExecutorService sessions = Executors.newFixedThreadPool(64);
        long interval = (long) (1e9 / sessionsPerSecond);
        long start = System.nanoTime();
        startNanos = start;
        boolean acted = action == null;
        try {
            for (long i = 0; ; i++) {
                long due = start + i * interval;
                if (due - start >= duration.toNanos()) {
                    break;
                }
                if (!acted && due - start >= atNanos) {
                    action.run();
                    acted = true;
                }
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
                sessions.execute(() -> session(start));
            }
        } finally {
            sessions.shutdown();
            sessions.awaitTermination(60, TimeUnit.SECONDS);
            sessions.shutdownNow();
        }
        return List.copyOf(ended);
    }

    long started() {
        return started.get();
    }

    /** The time since the burst started, on the scale of {@link Ended#nanos()}. */
    long nanosSinceStart() {
        return System.nanoTime() - startNanos;
    }

    /** Sessions under way on the node listening on {@code port}. */
    int inFlight(int port) {
        synchronized (choosing) {
            return inFlight.computeIfAbsent(port, p -> new AtomicInteger()).get();
        }
    }

    private void session(long start) {
        if (System.nanoTime() - start >= duration.toNanos()) {
            return;
        }
        int port;
        AtomicInteger counter;
        synchronized (choosing) {
            port = nextPort.getAsInt();
            counter = inFlight.computeIfAbsent(port, p -> new AtomicInteger());
            counter.incrementAndGet();
        }
        started.incrementAndGet();
        Outcome outcome;
        String detail = "";
        long mailSent = -1;
        long mailAnswered = -1;
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            socket.setSoTimeout(10_000);
            InputStream in = new BufferedInputStream(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            String reply = reply(in);
            if (reply.startsWith("4")) {
                outcome = Outcome.REFUSED_AT_CONNECT;
                detail = reply;
            } else {
                expect(reply, "220", "greeting");
                expect(command(in, out, "EHLO burst.example"), "250", "EHLO");
                mailSent = System.nanoTime() - start;
                reply = command(in, out, "MAIL FROM:<burst@example.org>");
                mailAnswered = System.nanoTime() - start;
                if (reply.startsWith("4")) {
                    outcome = Outcome.REFUSED_AT_MAIL;
                    detail = reply;
                } else {
                    expect(reply, "250", "MAIL");
                    expect(command(in, out, "RCPT TO:<rcpt@example.net>"), "250", "RCPT");
                    expect(command(in, out, "DATA"), "354", "DATA");
                    expect(command(in, out, "Subject: burst\r\n\r\nFriday\r\n."), "250", "end of data");
                    outcome = Outcome.DELIVERED;
                }
                quit(in, out);
            }
        } catch (Tempfailed e) {
            outcome = Outcome.TEMPFAILED;
            detail = e.getMessage();
        } catch (IOException | IllegalStateException e) {
            outcome = Outcome.ERROR;
            detail = e.toString();
        } finally {
            counter.decrementAndGet();
        }
        ended.add(new Ended(outcome, System.nanoTime() - start, detail, port, mailSent, mailAnswered));
    }

    /** Says goodbye; a server that already said it (a draining node's 421) may have closed the connection. */
    private static void quit(InputStream in, OutputStream out) {
        try {
            command(in, out, "QUIT");
        } catch (IOException e) {
            // the session's outcome is decided already
        }
    }

    private static void expect(String reply, String code, String what) {
        if (reply.startsWith("4")) {
            throw new Tempfailed(what + " answered " + reply);
        }
        if (!reply.startsWith(code)) {
            throw new IllegalStateException(what + " answered " + reply);
        }
    }

    /** A temporary failure where the session expected to go on: the client would keep the message and retry. */
    private static final class Tempfailed extends RuntimeException {
        Tempfailed(String message) {
            super(message, null, false, false);
        }
    }

    private static String command(InputStream in, OutputStream out, String line) throws IOException {
        out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return reply(in);
    }

    /** The last line of the next reply, multi-line replies read whole; "" at end of stream. */
    static String reply(InputStream in) throws IOException {
        while (true) {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            int b;
            while ((b = in.read()) >= 0 && b != '\n') {
                line.write(b);
            }
            String text = line.toString(StandardCharsets.US_ASCII).strip();
            if (b < 0 || text.length() < 4 || text.charAt(3) != '-') {
                return text;
            }
        }
    }
}
