package io.sluice.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.util.ResourceLeakDetector;
import io.sluice.proxy.peers.SmtpSinkProcess;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Messages much larger than any buffer, to backends slower than the client or stuck. */
class LargeMessageTest {

    private static final int MESSAGE_MB = 96;

    private static ResourceLeakDetector.Level leakDetection;

    // Paranoid leak tracking records every access of every buffer: right for protocol tests, but it makes
    // a 96 MB transfer crawl, and this test measures memory, not leaks.
    @BeforeAll
    static void simpleLeakDetection() {
        leakDetection = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.SIMPLE);
    }

    @AfterAll
    static void restoreLeakDetection() {
        ResourceLeakDetector.setLevel(leakDetection);
    }

    @Test
    void largeMessageToASlowBackendKeepsBufferMemorySmall() throws Exception {
        ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
        AtomicLong peak = new AtomicLong();
        // ~25 MB/s at the backend; the client on loopback could send many times faster.
        try (RecordingBackend backend = RecordingBackend.readingSlowly(256 * 1024, 10);
             RunningSluice sluice = RunningSluice.relayingTo(backend.port()).maxMessageSize(200L << 20).start();
             RawSmtpClient client = new RawSmtpClient(sluice.port())) {
            sampler.scheduleAtFixedRate(() -> peak.accumulateAndGet(usedBufferMemory(), Math::max),
                    0, 20, TimeUnit.MILLISECONDS);
            assertThat(client.reply()).startsWith("220 ");
            client.startMessage();
            byte[] line = ("x".repeat(998) + "\r\n").getBytes(StandardCharsets.US_ASCII);
            byte[] block = new byte[line.length * 1024];
            for (int i = 0; i < 1024; i++) {
                System.arraycopy(line, 0, block, i * line.length, line.length);
            }
            for (int i = 0; i < MESSAGE_MB; i++) {
                client.send(new String(block, StandardCharsets.US_ASCII));
            }
            assertThat(client.command(".")).startsWith("250 ");

            assertThat(backend.contentBytes()).isGreaterThanOrEqualTo((long) MESSAGE_MB * block.length);
            // Unbounded buffering would hold most of the 96 MB; the relay's bound is a few read buffers.
            System.out.printf("peak pooled buffer memory during a %d MB message: %.1f MB%n", MESSAGE_MB,
                    peak.get() / 1048576.0);
            assertThat(peak.get()).as("peak pooled buffer memory").isLessThan(24L << 20);
        } finally {
            sampler.shutdownNow();
        }
    }

    private static long usedBufferMemory() {
        var metric = ((ByteBufAllocatorMetricProvider) ByteBufAllocator.DEFAULT).metric();
        return metric.usedDirectMemory() + metric.usedHeapMemory();
    }

    @Test
    void backendThatStopsTakingContentGives451AfterTheDataBlockTimeout() throws Exception {
        // -A 20: after the 354 the sink stops reading for 20 s; the 1 s data block timeout must fire first.
        try (SmtpSinkProcess sink = SmtpSinkProcess.start("-A", "20");
             RunningSluice sluice = RunningSluice.relayingTo(sink.port()).backendTimeout(Duration.ofSeconds(1))
                     .maxMessageSize(64L << 20).start();
             RawSmtpClient client = new RawSmtpClient(sluice.port())) {
            assertThat(client.reply()).startsWith("220 ");
            client.startMessage();
            // Far more than the socket buffers on both sides hold, so the backend's side must block.
            String block = ("z".repeat(998) + "\r\n").repeat(1024);
            long started = System.nanoTime();
            for (int i = 0; i < 32; i++) {
                client.send(block);
            }

            assertThat(client.command(".")).startsWith("451 4.4.2");
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(15));
        }
    }
}
