package io.sluice.proxy.relay;

import io.sluice.proxy.Main;
import io.sluice.proxy.peers.ExternalTool;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Sluice as a process of its own, started from the test class path with a configuration file: for tests that
 * signal it, or that measure its heap and file descriptors apart from the test's.
 */
final class SluiceProcess implements AutoCloseable {

    private final Process process;
    private final Path log;

    private SluiceProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** Writes {@code config} to {@code dir}, starts Sluice on it and returns once {@code port} listens. */
    static SluiceProcess start(Path dir, String config, int port) throws IOException {
        Path file = Files.writeString(dir.resolve("sluice.yaml"), config);
        Path log = dir.resolve("sluice.log");
        Process process = new ProcessBuilder(javaCommand(file))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        SluiceProcess sluice = new SluiceProcess(process, log);
        try {
            ExternalTool.awaitListening(port, process, Duration.ofSeconds(60), "sluice");
        } catch (RuntimeException e) {
            sluice.close();
            throw new IllegalStateException("sluice did not start; its log:\n" + sluice.log(), e);
        }
        return sluice;
    }

    private static List<String> javaCommand(Path config) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return List.of(java, "-Xmx256m", "--add-opens", "java.base/java.lang=ALL-UNNAMED",
                "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "run", "--config", config.toString());
    }

    Process process() {
        return process;
    }

    long pid() {
        return process.pid();
    }

    /** What the process printed so far. */
    String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
