package io.sluice.proxy.relay;

import io.sluice.proxy.peers.ExternalTool;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

/**
 * What a JVM process holds at one moment: the bytes of live objects on its heap after a full collection, its
 * open file descriptors, and its resident memory (which also covers Netty's direct buffers).
 *
 * @param liveHeap bytes of reachable objects, from {@code jcmd PID GC.class_histogram} (which collects first)
 * @param openFds entries of {@code /proc/PID/fd}
 * @param resident {@code VmRSS} of {@code /proc/PID/status}, in bytes
 */
record Footprint(long liveHeap, int openFds, long resident) {

    private static final long MIB = 1024 * 1024;

    /** Measures the process; the heap first, as its collection may close descriptors still waiting for it. */
    static Footprint of(long pid) {
        long heap = liveHeap(pid);
        return new Footprint(heap, openFds(pid), resident(pid));
    }

    /** The open descriptors alone, without a collection: cheap enough to poll. */
    static int openFds(long pid) {
        try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            return (int) fds.count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long liveHeap(long pid) {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        ExternalTool.Finished histogram = ExternalTool.run(Duration.ofSeconds(60), jcmd,
                List.of(Long.toString(pid), "GC.class_histogram"));
        // The last line: "Total <instances> <bytes>".
        String[] lines = histogram.output().strip().split("\n");
        String[] total = lines[lines.length - 1].trim().split("\\s+");
        if (histogram.exitCode() != 0 || !total[0].equals("Total")) {
            throw new IllegalStateException("jcmd GC.class_histogram failed:\n" + histogram.output());
        }
        return Long.parseLong(total[2]);
    }

    /** The resident memory alone, without a collection: cheap enough to sample. */
    static long resident(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    // "VmRSS:	  123456 kB"
                    return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
                }
            }
            throw new IllegalStateException("no VmRSS for process " + pid);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String toString() {
        return "heap %.1f MiB, %d fds, RSS %d MiB".formatted((double) liveHeap / MIB, openFds, resident / MIB);
    }
}
