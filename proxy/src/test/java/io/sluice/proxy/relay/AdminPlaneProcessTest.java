package io.sluice.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.proxy.peers.ExternalTool;
import io.sluice.proxy.peers.SmtpSinkProcess;
import io.sluice.testing.TestPorts;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The admin plane of Sluice in a process of its own, attacked over real sockets: a request without a valid token
 * is refused on its head before its body is sent, a flood of pipelined requests whose sender never reads keeps the
 * process's memory bounded while SMTP greets on time, and the audit log records who was turned away, from where,
 * even with {@code SLUICE_LOG_LEVEL=WARN}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AdminPlaneProcessTest {

    private static final long MIB = 1024 * 1024;
    private static final String OPS = "ops-secret-0123456789abcdef";
    private static final String READER = "reader-secret-0123456789abc";
    private static final String WRONG = "wrong-secret-0123456789abcd";
    // Live objects after a full collection while the flood is held: ten connections, each with at most one
    // response and what one read of its socket decoded (64 KiB of requests), are a few MiB.
    private static final long HEAP_SLACK = 32 * MIB;
    // The heap is committed and touched whole before the flood (-Xms = -Xmx, AlwaysPreTouch), so resident memory
    // grows only by what lives outside it: direct buffers, compiled code, thread stacks. Before backpressure, the
    // same flood took it from 237 to 703 MB and then to an OutOfMemoryError of direct memory.
    private static final long RSS_SLACK = 64 * MIB;
    private static final Duration BANNER = Duration.ofMillis(100);
    private static final int BANNERS = 40;

    private SmtpSinkProcess sink;
    private SluiceProcess sluice;
    private int adminPort;

    @BeforeAll
    void start() throws IOException {
        Path dir = Files.createTempDirectory("sluice-admin");
        Path tokens = Files.writeString(dir.resolve("admin-tokens"), "ops:" + OPS + "\nro:" + READER + ":read\n");
        sink = SmtpSinkProcess.start();
        int port = TestPorts.freeOnLoopback();
        adminPort = TestPorts.freeOnLoopback();
        sluice = SluiceProcess.start(dir, "sluice", """
                smtp: { hostname: admin.sluice.test }
                listeners:
                  - { name: mx, role: inbound, bind: "127.0.0.1:%d", backend-pool: mta }
                backends:
                  mta: { servers: ["127.0.0.1:%d"], xclient: false }
                cluster: { mode: local }
                admin: { bind: "127.0.0.1:%d", token-file: %s }
                """.formatted(port, sink.port(), adminPort, tokens), port, Map.of("SLUICE_LOG_LEVEL", "WARN",
                "JAVA_TOOL_OPTIONS", "-Xms256m -XX:+AlwaysPreTouch"));
        ExternalTool.awaitListening(adminPort, sluice.process(), Duration.ofSeconds(10), "sluice admin");
    }

    @AfterAll
    void stop() {
        if (sluice != null) {
            sluice.close();
        }
        if (sink != null) {
            sink.close();
        }
    }

    @Test
    void aPutAnnouncingOneMegabyteIsRefusedBeforeItsBodyIsSent() throws IOException {
        String head = "PUT /api/v1/policy HTTP/1.1\r\nHost: localhost\r\nIf-Match: \"1\"\r\n"
                + "Content-Length: 1048576\r\n";

        // Heads only: the bodies they announce are never sent, and the answers come anyway.
        String none = exchange(head + "\r\n");
        String wrong = exchange(head + "Authorization: Bearer " + WRONG + "\r\n\r\n");
        String readOnly = exchange(head + "Authorization: Bearer " + READER + "\r\n\r\n");

        assertThat(none).startsWith("HTTP/1.1 401 ").contains("a bearer token is required");
        assertThat(wrong).startsWith("HTTP/1.1 401 ").contains("the bearer token is not valid");
        assertThat(readOnly).startsWith("HTTP/1.1 403 ").contains("needs the scope policy");
        await("the audit lines of the three refusals").atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(sluice.log().lines().filter(line -> line.contains("\"io.sluice.audit\"")
                        && line.contains("path=/api/v1/policy")).toList())
                        .anySatisfy(line -> assertThat(line).contains("authentication failed", "client_ip=127.0.0.1",
                                "method=PUT", "token=missing"))
                        .anySatisfy(line -> assertThat(line).contains("authentication failed", "client_ip=127.0.0.1",
                                "token=invalid"))
                        .anySatisfy(line -> assertThat(line).contains("access denied actor=ro",
                                "client_ip=127.0.0.1", "scope=policy")));
        assertThat(sluice.log()).doesNotContain(WRONG, READER, OPS);
    }

    @Test
    void auditLinesAppearAtLogLevelWarnWithTheClientAndThePolicysDigest() throws IOException {
        String etag = header(exchange("GET /api/v1/policy HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
                + OPS + "\r\n\r\n"), "ETag");
        String policy = "limits: []\n";
        String put = exchange("PUT /api/v1/policy HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + OPS
                + "\r\nIf-Match: " + etag + "\r\nContent-Length: " + policy.length() + "\r\n\r\n" + policy);

        assertThat(put).startsWith("HTTP/1.1 200 ");
        await("the audit line of the change").atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(sluice.log()).containsPattern("\"message\":\"policy replaced actor=ops"
                        + " client_ip=127\\.0\\.0\\.1 action=policy\\.replace old_version=\\d+ new_version=\\d+"
                        + " policy_sha256=[0-9a-f]{64}\""));
        assertThat(sluice.log()).as("WARN is in force for everything else: no INFO line of the start")
                .doesNotContain("\"message\":\"listening\"");
    }

    @Test
    void aFloodOfPipelinedRequestsNeverReadKeepsMemoryBoundedAndBannersOnTime() throws Exception {
        // The first sessions of a process load and compile the SMTP path: greeted before the flood, as a baseline.
        List<Long> quiet = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            quiet.add(bannerMillis());
        }
        Footprint before = Footprint.of(sluice.pid());
        byte[] block = "GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n".repeat(2000)
                .getBytes(StandardCharsets.US_ASCII);
        int blocks = 200;
        int silent = 8;
        int reading = 2;
        List<Socket> sockets = Collections.synchronizedList(new ArrayList<>());
        List<AtomicLong> written = new ArrayList<>();
        AtomicLong read = new AtomicLong();
        ExecutorService threads = Executors.newFixedThreadPool(silent + 2 * reading);
        try {
            for (int i = 0; i < silent + reading; i++) {
                Socket socket = new Socket();
                if (i < silent) {
                    // A small window: the responses back up into Sluice at once.
                    socket.setReceiveBufferSize(4096);
                }
                socket.connect(new InetSocketAddress("127.0.0.1", adminPort), 5000);
                sockets.add(socket);
                AtomicLong bytes = new AtomicLong();
                written.add(bytes);
                threads.submit(() -> writeBlocks(socket, block, blocks, bytes));
                if (i >= silent) {
                    threads.submit(() -> drain(socket, read));
                }
            }
            // Held: the silent flooders' writes stop, as Sluice stopped reading them.
            AtomicLong previous = new AtomicLong(-1);
            await("the silent flooders blocked").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> {
                        long now = written.subList(0, silent).stream().mapToLong(AtomicLong::get).sum();
                        return now > 0 && now == previous.getAndSet(now);
                    });

            long peakRss = Footprint.resident(sluice.pid());
            List<Long> banners = new ArrayList<>();
            for (int i = 0; i < BANNERS; i++) {
                banners.add(bannerMillis());
                peakRss = Math.max(peakRss, Footprint.resident(sluice.pid()));
            }
            long readBefore = read.get();
            Footprint during = Footprint.of(sluice.pid());
            peakRss = Math.max(peakRss, during.resident());
            await("the reading flooders still served").atMost(Duration.ofSeconds(30))
                    .until(() -> read.get() > readBefore);

            for (Socket socket : sockets) {
                socket.close();
            }
            await("descriptors back").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                    .until(() -> Footprint.openFds(sluice.pid()) <= before.openFds() + 4);
            Footprint after = Footprint.of(sluice.pid());

            List<Long> sorted = banners.stream().sorted().toList();
            long p95 = sorted.get((int) Math.ceil(0.95 * sorted.size()) - 1);
            System.out.printf("admin flood: before %s; during %s, peak RSS %d MiB; after %s; silent flooders wrote"
                            + " %s bytes of %d each; reading flooders read %d bytes; banners (ms) before %s, during %s,"
                            + " p95 %d, max %d%n",
                    before, during, peakRss / MIB, after, written.subList(0, silent), (long) blocks * block.length,
                    read.get(), quiet, banners, p95, sorted.get(sorted.size() - 1));
            assertThat(written.subList(0, silent)).as("each silent flooder was stopped")
                    .allSatisfy(bytes -> assertThat(bytes.get()).isLessThan((long) blocks * block.length));
            assertThat(during.liveHeap()).as("live heap during the flood (before: %s)", before)
                    .isLessThanOrEqualTo(before.liveHeap() + HEAP_SLACK);
            assertThat(peakRss).as("RSS during the flood (before: %s)", before)
                    .isLessThanOrEqualTo(before.resident() + RSS_SLACK);
            assertThat(p95).as("95th percentile of %d SMTP banners during the flood, ms: %s", BANNERS, banners)
                    .isLessThan(BANNER.toMillis());
            assertThat(after.liveHeap()).isLessThanOrEqualTo(before.liveHeap() + HEAP_SLACK);
            assertThat(exchange("GET /healthz/live HTTP/1.1\r\nHost: localhost\r\n\r\n")).startsWith("HTTP/1.1 200 ");
            assertThat(sluice.process().isAlive()).isTrue();
        } finally {
            for (Socket socket : sockets) {
                socket.close();
            }
            threads.shutdownNow();
        }
    }

    private static Void writeBlocks(Socket socket, byte[] block, int blocks, AtomicLong written) {
        try {
            OutputStream out = socket.getOutputStream();
            for (int i = 0; i < blocks; i++) {
                out.write(block);
                written.addAndGet(block.length);
            }
        } catch (IOException e) {
            // Closed by the test, or by Sluice.
        }
        return null;
    }

    private static Void drain(Socket socket, AtomicLong read) {
        byte[] buffer = new byte[64 * 1024];
        try {
            InputStream in = socket.getInputStream();
            for (int n; (n = in.read(buffer)) >= 0; ) {
                read.addAndGet(n);
            }
        } catch (IOException e) {
            // Closed by the test.
        }
        return null;
    }

    /** Milliseconds from connecting to the SMTP listener to its whole 220 greeting. */
    private long bannerMillis() throws IOException {
        long start = System.nanoTime();
        try (RawSmtpClient client = new RawSmtpClient(sluice.port())) {
            assertThat(client.reply()).startsWith("220 ");
            return (System.nanoTime() - start) / 1_000_000;
        }
    }

    /** Sends raw bytes on a new connection and returns the first response, head and body. */
    private String exchange(String raw) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", adminPort), 5000);
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(raw.getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream response = new ByteArrayOutputStream();
            int length = -1;
            for (int b; (b = in.read()) >= 0; ) {
                response.write(b);
                String text = response.toString(StandardCharsets.ISO_8859_1);
                if (length < 0 && text.endsWith("\r\n\r\n")) {
                    length = text.length() + Integer.parseInt(header(text, "Content-Length"));
                }
                if (length >= 0 && response.size() >= length) {
                    break;
                }
            }
            return response.toString(StandardCharsets.UTF_8);
        }
    }

    private static String header(String response, String name) {
        return response.lines().filter(line -> line.regionMatches(true, 0, name + ":", 0, name.length() + 1))
                .map(line -> line.substring(name.length() + 1).strip()).findFirst().orElseThrow();
    }
}
