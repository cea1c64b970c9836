package io.sluice.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.proxy.peers.ExternalTool;
import io.sluice.proxy.peers.SmtpSinkProcess;
import io.sluice.testing.TestPorts;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Abusive clients against Sluice in a process of its own: each attack gets the replies Sluice defines for it,
 * and once the clients are gone the process's live heap and open file descriptors are back near where they were
 * before it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ResourceBoundsTest {

    private static final long MIB = 1024 * 1024;
    // Live objects after a full collection; measured growth after each attack was under 2 MiB (ResourceBoundsTest
    // in SECURITY.md), so this catches anything held per connection or per byte (1,000 sessions of a few KiB each,
    // or a fraction of one megabyte line) without tripping on caches that fill once.
    private static final long HEAP_SLACK = 16 * MIB;
    // Health probes and kept backend connections come and go; a leak of one per attacking connection is far more.
    private static final int FD_SLACK = 12;
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(10);
    private static final int MAX_ERRORS = 20;
    private static final int PER_ADDRESS = 20;
    private static final int PER_LISTENER = 200;
    // Each smtp-sink serves about 250 connections at once, and every session holds one to its backend.
    private static final int SINKS = 6;

    private final List<SmtpSinkProcess> sinks = new ArrayList<>();
    private SluiceProcess sluice;
    private int port;
    private int limitedPort;

    @BeforeAll
    void start() throws IOException {
        for (int i = 0; i < SINKS; i++) {
            sinks.add(SmtpSinkProcess.start());
        }
        String servers = String.join(", ", sinks.stream().map(sink -> "\"127.0.0.1:" + sink.port() + "\"").toList());
        port = TestPorts.freeOnLoopback();
        limitedPort = TestPorts.freeOnLoopback();
        Path dir = Files.createTempDirectory("sluice-bounds");
        sluice = SluiceProcess.start(dir, "sluice", """
                smtp:
                  hostname: bounds.sluice.test
                  max-message-size: 1MiB
                  max-errors: %d
                  timeouts: { command: %ds }
                listeners:
                  - { name: mx, role: inbound, bind: "127.0.0.1:%d", backend-pool: mta }
                  - { name: limited, role: inbound, bind: "127.0.0.1:%d", backend-pool: mta }
                backends:
                  mta:
                    servers: [%s]
                    xclient: false
                    reuse: { max-idle: 4, idle-timeout: 2s }
                cluster: { mode: local }
                admin: { bind: "127.0.0.1:%d" }
                policy:
                  concurrency:
                    - name: per-address
                      listeners: [limited]
                      key: client-ip
                      max: %d
                      reply: "421 4.7.0 Too many sessions from your address"
                    - name: per-listener
                      listeners: [limited]
                      key: listener
                      max: %d
                      reply: "421 4.3.2 Too many sessions, try again later"
                """.formatted(MAX_ERRORS, COMMAND_TIMEOUT.toSeconds(), port, limitedPort, servers,
                TestPorts.freeOnLoopback(), PER_ADDRESS, PER_LISTENER), port);
        ExternalTool.awaitListening(limitedPort, sluice.process(), Duration.ofSeconds(10), "sluice");
    }

    @AfterAll
    void stop() {
        if (sluice != null) {
            sluice.close();
        }
        sinks.forEach(SmtpSinkProcess::close);
    }

    @Test
    void slowlorisClientsGetTheCommandTimeoutAndTheirDescriptorsBack() throws Exception {
        Footprint before = Footprint.of(sluice.pid());
        int count = 1000;
        List<RawSmtpClient> clients = Collections.synchronizedList(new ArrayList<>());
        try {
            inParallel(8, () -> {
                for (int i = 0; i < count / 8; i++) {
                    RawSmtpClient client = greeted();
                    clients.add(client);
                    client.send("E");
                }
                return null;
            });
            Footprint peak = Footprint.of(sluice.pid());
            // A byte a second, never a whole command: the timeout runs from the last command, not the last byte.
            String more = "HLO slow.example";
            long deadline = System.nanoTime() + COMMAND_TIMEOUT.plusSeconds(5).toNanos();
            for (int i = 0; System.nanoTime() < deadline; i = (i + 1) % more.length()) {
                for (RawSmtpClient client : clients) {
                    client.trickle(more.charAt(i));
                }
                Thread.sleep(1_000);
            }
            for (RawSmtpClient client : clients) {
                assertThat(client.reply()).isEqualTo("421 4.4.2 Timeout exceeded, closing connection");
                assertThat(client.closedWithoutReply()).isTrue();
            }
            closeAll(clients);
            assertBounded("slowloris, " + count + " connections", before, peak, settled(before));
        } finally {
            closeAll(clients);
        }
    }

    @Test
    void overlongCommandLinesAreDiscardedAsTheyArrive() throws Exception {
        Footprint before = Footprint.of(sluice.pid());
        byte[] line = ("NOOP " + "a".repeat((int) (4 * MIB)) + "\r\n").getBytes(StandardCharsets.US_ASCII);
        inParallel(16, () -> {
            try (RawSmtpClient client = greeted()) {
                for (int i = 0; i < 3; i++) {
                    assertThat(client.send(line).reply()).startsWith("500 5.5.2 Line too long");
                }
                assertThat(client.command("QUIT")).startsWith("221 ");
            }
            return null;
        });
        assertBounded("16 clients x 3 command lines of 4 MiB", before, null, settled(before));
    }

    @Test
    void overlongAndOversizedMessagesAreRefusedWithoutBeingHeld() throws Exception {
        Footprint before = Footprint.of(sluice.pid());
        byte[] line = ("a".repeat((int) (8 * MIB)) + "\r\n.\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] body = (("b".repeat(78) + "\r\n").repeat((int) (8 * MIB / 80)) + ".\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        inParallel(8, () -> {
            try (RawSmtpClient client = greeted()) {
                client.startMessage();
                assertThat(client.send(line).reply()).startsWith("550 5.5.2 Message rejected: line longer");
                assertThat(client.command("MAIL FROM:<a@example.org>")).startsWith("250 ");
                assertThat(client.command("RCPT TO:<b@example.net>")).startsWith("250 ");
                assertThat(client.command("DATA")).startsWith("354 ");
                assertThat(client.send(body).reply()).startsWith("552 5.3.4");
                assertThat(client.command("QUIT")).startsWith("221 ");
            }
            return null;
        });
        assertBounded("8 clients x a line of 8 MiB and a message of 8 MiB in DATA", before, null, settled(before));
    }

    @Test
    void hugeDeclaredSizesAreRefusedAndBdatIsNotOffered() throws Exception {
        Footprint before = Footprint.of(sluice.pid());
        // A chunk's content, read as commands since BDAT is refused: one error a line until the session ends.
        // Less than Sluice buffers unread, so that closing does not reset the connection under the last replies.
        String chunk = ("X-Chunk: " + "c".repeat(60) + "\r\n").repeat(100);
        inParallel(16, () -> {
            try (RawSmtpClient client = greeted()) {
                client.send("EHLO client.example\r\n");
                List<String> ehlo = client.replyLines();
                assertThat(ehlo).last().asString().startsWith("250 ");
                assertThat(ehlo).noneMatch(line -> line.contains("CHUNKING"));
                assertThat(client.command("MAIL FROM:<a@example.org> SIZE=999999999999999999"))
                        .startsWith("552 5.3.4");
                client.send("BDAT 999999999999999999 LAST\r\n" + chunk);
                assertThat(client.reply()).startsWith("502 5.5.1");
                // The MAIL and the BDAT were errors too.
                for (int i = 3; i < MAX_ERRORS; i++) {
                    assertThat(client.reply()).startsWith("500 5.5.2");
                }
                assertThat(client.reply()).isEqualTo("421 4.7.0 Too many errors, closing connection");
                assertThat(client.closedWithoutReply()).isTrue();
            }
            return null;
        });
        assertBounded("16 clients x SIZE and BDAT of 10^18 octets", before, null, settled(before));
    }

    @Test
    void clientsThatNeverReadTheirRepliesAreStoppedAndCutOff() throws Exception {
        Footprint before = Footprint.of(sluice.pid());
        // 2.5 times as many octets of replies as of commands, and nobody reading them.
        byte[] noops = "NOOP\r\n".repeat(64 * 1024).getBytes(StandardCharsets.US_ASCII);
        int blocks = 64;
        int count = 20;
        List<RawSmtpClient> clients = new ArrayList<>();
        ExecutorService writers = Executors.newFixedThreadPool(count);
        try {
            List<Future<Integer>> written = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                // A small receive window: the replies back up into Sluice at once.
                RawSmtpClient client = new RawSmtpClient("127.0.0.1", port, 4096);
                clients.add(client);
                assertThat(client.reply()).startsWith("220 ");
                written.add(writers.submit(() -> {
                    for (int block = 0; block < blocks; block++) {
                        try {
                            client.send(noops);
                        } catch (IOException e) {
                            return block;
                        }
                    }
                    return blocks;
                }));
            }
            Thread.sleep(3_000);
            Footprint peak = Footprint.of(sluice.pid());
            // Sluice stops reading, so the writes block; the timeout ends the session, its reply read or not (the
            // close waits 10 s at most for the reply to leave).
            for (Future<Integer> blocksWritten : written) {
                assertThat(blocksWritten.get(COMMAND_TIMEOUT.plusSeconds(30).toSeconds(), TimeUnit.SECONDS))
                        .as("blocks of %d octets written before the cut", noops.length).isLessThan(blocks);
            }
            closeAll(clients);
            assertBounded(count + " clients pipelining NOOP without reading", before, peak, settled(before));
        } finally {
            closeAll(clients);
            writers.shutdownNow();
        }
    }

    @Test
    void pipelinedGarbageEndsEachSessionAfterTheMaximumOfErrors() throws Exception {
        Footprint before = Footprint.of(sluice.pid());
        StringBuilder garbage = new StringBuilder();
        for (int i = 0; i < MAX_ERRORS + 5; i++) {
            garbage.append("\u0001GARBAGE ").append(i).append(" \u00ff\r\n");
        }
        int sessions = 100;
        inParallel(8, () -> {
            for (int s = 0; s < sessions; s++) {
                try (RawSmtpClient client = greeted()) {
                    client.send(garbage.toString());
                    for (int i = 1; i < MAX_ERRORS; i++) {
                        assertThat(client.reply()).startsWith("500 5.5.2");
                    }
                    assertThat(client.reply()).isEqualTo("421 4.7.0 Too many errors, closing connection");
                    assertThat(client.closedWithoutReply()).isTrue();
                }
            }
            return null;
        });
        assertBounded("8 x " + sessions + " sessions of " + (MAX_ERRORS + 5) + " pipelined garbage lines", before,
                null, settled(before));
    }

    @Test
    void connectCloseCyclesLeaveNothingBehind() throws Exception {
        Footprint before = Footprint.of(sluice.pid());
        int cycles = 600;
        inParallel(8, () -> {
            for (int i = 0; i < cycles; i++) {
                switch (i % 3) {
                    case 0 -> {
                        try (RawSmtpClient client = greeted()) {
                            assertThat(client.command("QUIT")).startsWith("221 ");
                        }
                    }
                    // Gone before the greeting, while Sluice may still be opening its backend connection.
                    case 1 -> new RawSmtpClient(port).close();
                    default -> new RawSmtpClient(port).reset();
                }
            }
            return null;
        });
        assertBounded("8 x " + cycles + " connect/close cycles", before, null, settled(before));
    }

    @Test
    void connectionsBeyondTheConcurrencyLimitsAreRefusedAndTheirSlotsComeBack() throws Exception {
        Footprint before = Footprint.of(sluice.pid());
        List<RawSmtpClient> admitted = new ArrayList<>();
        try {
            // The admitted sessions must stay held while the others knock, however long 1,100 connections take on
            // a busy machine: one the command timeout ended would give its slot to the next client.
            HeldSessions held = new HeldSessions(admitted);
            int refusedPerAddress = 0;
            for (int i = 0; i < 100; i++) {
                refusedPerAddress += connectLimited("127.0.0.1", admitted, "421 4.7.0 Too many sessions from");
                held.keep();
            }
            int refusedPerListener = 0;
            for (int i = 0; i < 1000; i++) {
                // 10 from each of 100 addresses: within the limit per address, over the listener's.
                refusedPerListener += connectLimited("127.0.0." + (2 + i / 10), admitted, "421 4.3.2 Too many");
                held.keep();
            }
            assertThat(refusedPerAddress).isEqualTo(100 - PER_ADDRESS);
            assertThat(refusedPerListener).isEqualTo(1000 - (PER_LISTENER - PER_ADDRESS));
            Footprint peak = Footprint.of(sluice.pid());
            closeAll(admitted);
            Footprint after = settled(before);
            try (RawSmtpClient again = new RawSmtpClient(limitedPort)) {
                assertThat(again.reply()).as("a slot after the others left").startsWith("220 ");
            }
            assertBounded("1,100 connections over limits of " + PER_ADDRESS + " per address and " + PER_LISTENER,
                    before, peak, after);
        } finally {
            closeAll(admitted);
        }
    }

    /** Admitted sessions kept from the command timeout by a NOOP each, well before the timeout would end them. */
    private static final class HeldSessions {

        private final List<RawSmtpClient> clients;
        private long keptAt = System.nanoTime();

        HeldSessions(List<RawSmtpClient> clients) {
            this.clients = clients;
        }

        void keep() throws IOException {
            if (System.nanoTime() - keptAt < COMMAND_TIMEOUT.toNanos() / 4) {
                return;
            }
            // All at once, then the replies: a round of 200 sessions costs one round trip, not 200.
            for (RawSmtpClient client : clients) {
                client.send("NOOP\r\n");
            }
            for (RawSmtpClient client : clients) {
                assertThat(client.reply()).as("a held session answers NOOP").startsWith("250");
            }
            keptAt = System.nanoTime();
        }
    }

    /** A client of the unlimited listener, past its greeting. */
    private RawSmtpClient greeted() throws IOException {
        RawSmtpClient client = new RawSmtpClient(port);
        try {
            assertThat(client.reply()).startsWith("220 ");
            return client;
        } catch (IOException | AssertionError e) {
            client.close();
            throw e;
        }
    }

    /** Connects to the limited listener; 1 when refused with {@code refusal}, 0 when admitted (and kept). */
    private int connectLimited(String from, List<RawSmtpClient> admitted, String refusal) throws IOException {
        RawSmtpClient client = new RawSmtpClient(from, limitedPort);
        String greeting = client.reply();
        if (greeting.startsWith("220 ")) {
            admitted.add(client);
            return 0;
        }
        try (client) {
            assertThat(greeting).startsWith(refusal);
            assertThat(client.closedWithoutReply()).isTrue();
            return 1;
        }
    }

    /** Waits until the descriptors are back near {@code before}, then measures everything. */
    private Footprint settled(Footprint before) {
        await("open descriptors of Sluice back to " + before.openFds() + " + " + FD_SLACK)
                .atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(250))
                .until(() -> Footprint.openFds(sluice.pid()) <= before.openFds() + FD_SLACK);
        return Footprint.of(sluice.pid());
    }

    private void assertBounded(String attack, Footprint before, Footprint peak, Footprint after) {
        System.out.printf("%s: before %s; peak %s; after %s%n", attack, before, peak == null ? "-" : peak, after);
        assertThat(after.liveHeap()).as("live heap after %s (before: %s)", attack, before)
                .isLessThanOrEqualTo(before.liveHeap() + HEAP_SLACK);
        assertThat(after.openFds()).as("open descriptors after %s (before: %s)", attack, before)
                .isLessThanOrEqualTo(before.openFds() + FD_SLACK);
        assertThat(sluice.process().isAlive()).as("Sluice alive; its log:\n%s", sluice.log()).isTrue();
    }

    /** Runs {@code task} on {@code threads} threads at once and rethrows the first failure. */
    private static void inParallel(int threads, Callable<Void> task) throws Exception {
        ExecutorService executor = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Void>> results = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                results.add(executor.submit(task));
            }
            for (Future<Void> result : results) {
                result.get(120, TimeUnit.SECONDS);
            }
        } finally {
            executor.shutdownNow();
        }
    }

    private static void closeAll(List<RawSmtpClient> clients) throws IOException {
        for (RawSmtpClient client : clients) {
            client.close();
        }
    }
}
