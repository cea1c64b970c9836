package io.sluice.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proxy.peers.SmtpSinkProcess;
import io.sluice.proxy.peers.SmtpSourceRun;
import io.sluice.testing.TestPorts;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.ToLongFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sluice in a process of its own under a steady load from smtp-source for {@code sluice.soak.duration} (60 s in
 * the ordinary build, 10 minutes with {@code -Psoak}): its live heap and open descriptors stay flat, and every
 * message acknowledged to smtp-source is at the sink.
 */
class SoakTest {

    private static final Duration DURATION = Duration.parse(System.getProperty("sluice.soak.duration", "PT60S"));
    // Each batch: one connection per message, as mail from the internet comes.
    private static final int BATCH = 100;
    private static final Duration BATCH_PERIOD = Duration.ofSeconds(2);
    private static final long MIB = 1024 * 1024;
    // Flat: the last third's median over the first third's, within what a steady state wobbles by.
    private static final long HEAP_MARGIN = 4 * MIB;
    private static final int FD_MARGIN = 10;

    @Test
    void heapAndDescriptorsStayFlatAndNothingIsLost(@TempDir Path dir) throws Exception {
        try (SmtpSinkProcess sink = SmtpSinkProcess.start()) {
            int port = TestPorts.freeOnLoopback();
            try (SluiceProcess sluice = SluiceProcess.start(dir, "sluice", """
                    smtp: { hostname: soak.sluice.test }
                    listeners:
                      - { name: mx, role: inbound, bind: "127.0.0.1:%d", backend-pool: mta }
                    backends:
                      mta: { servers: ["127.0.0.1:%d"] }
                    cluster: { bind: "127.0.0.1:%d" }
                    admin: { bind: "127.0.0.1:%d" }
                    policy:
                      limits:
                        - { name: messages-per-ip, key: client-ip, counts: messages, rate: 100000/1s }
                      concurrency:
                        - { name: sessions-per-ip, key: client-ip, max: 1000 }
                    """.formatted(port, sink.port(), TestPorts.freeOnLoopback(), TestPorts.freeOnLoopback()), port)) {
                Footprint idle = Footprint.of(sluice.pid());
                ExecutorService load = Executors.newSingleThreadExecutor();
                try {
                    long end = System.nanoTime() + DURATION.toNanos();
                    Future<Integer> acknowledged = load.submit(() -> steadyLoad(port, end));
                    List<Footprint> samples = new ArrayList<>();
                    // About a dozen samples whatever the length, so the thirds compared hold a few each.
                    Duration interval = DURATION.dividedBy(12).compareTo(Duration.ofSeconds(1)) < 0
                            ? Duration.ofSeconds(1) : DURATION.dividedBy(12);
                    while (System.nanoTime() + interval.toNanos() < end) {
                        Thread.sleep(interval.toMillis());
                        samples.add(Footprint.of(sluice.pid()));
                    }
                    int sent = acknowledged.get(DURATION.toSeconds() + 120, TimeUnit.SECONDS);
                    int received = sink.awaitMessages(sent, Duration.ofSeconds(60)).size();

                    System.out.printf("soak of %s: %d messages acknowledged, %d at the sink; idle %s%n", DURATION,
                            sent, received, idle);
                    samples.forEach(sample -> System.out.println("  " + sample));
                    assertThat(received).as("messages at the sink").isEqualTo(sent);
                    assertThat(samples).hasSizeGreaterThanOrEqualTo(6);
                    assertFlat(samples, Footprint::liveHeap, HEAP_MARGIN, "live heap");
                    assertFlat(samples, Footprint::openFds, FD_MARGIN, "open descriptors");
                } finally {
                    load.shutdownNow();
                }
            }
        }
    }

    /** Runs batches of smtp-source at a steady pace until {@code end}; the messages acknowledged, all of them. */
    private static int steadyLoad(int port, long end) throws InterruptedException {
        int acknowledged = 0;
        long next = System.nanoTime();
        while (next < end) {
            SmtpSourceRun run = SmtpSourceRun.to(port, Duration.ofSeconds(60),
                    "-s", "4", "-m", Integer.toString(BATCH), "-l", "2000");
            // Without -A smtp-source stops at the first reply it did not expect: 0 means all were acknowledged.
            assertThat(run.exitCode()).as(run.output()).isZero();
            acknowledged += BATCH;
            next += BATCH_PERIOD.toNanos();
            TimeUnit.NANOSECONDS.sleep(Math.max(0, next - System.nanoTime()));
        }
        return acknowledged;
    }

    private static void assertFlat(List<Footprint> samples, ToLongFunction<Footprint> measure, long margin,
                                   String what) {
        int third = samples.size() / 3;
        long first = median(samples.subList(0, third), measure);
        long last = median(samples.subList(samples.size() - third, samples.size()), measure);
        assertThat(last).as("%s: median of the last third over the first's (%d)", what, first)
                .isLessThanOrEqualTo(first + margin);
    }

    private static long median(List<Footprint> samples, ToLongFunction<Footprint> measure) {
        long[] values = samples.stream().mapToLong(measure).sorted().toArray();
        return values[values.length / 2];
    }
}
