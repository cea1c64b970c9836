package io.sluice.proxy.relay;

import io.sluice.proxy.Main;
import io.sluice.proxy.peers.ExternalTool;
import io.sluice.testing.TestPorts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Sluice as a process of its own, run from this JVM's class path with a configuration file, its output in a log
 * file next to it: for what only a real process shows (signals, a crash, a cluster of separate JVMs, its own heap and
 * file descriptors).
 */
final class SluiceProcess implements AutoCloseable {

    // A start takes a few seconds of processor time; on a machine shared with other work the wall-clock time it
    // takes says more about the machine than about Sluice, so the start is bounded by the processor time it uses.
    private static final Duration START_CPU_BUDGET = Duration.ofSeconds(60);
    // Only for a process that hangs without using the processor.
    private static final Duration START_HANG_GUARD = Duration.ofMinutes(5);

    private final Process process;
    private final Path log;
    private final int port;

    private SluiceProcess(Process process, Path log, int port) {
        this.process = process;
        this.log = log;
        this.port = port;
    }

    /**
     * One node with an inbound listener on a free port relaying to the backend on {@code backendPort}, its member,
     * and admin listener on free ports, and the drain settings given.
     */
    static SluiceProcess relayingTo(Path dir, int backendPort, Duration announce, Duration timeout)
            throws IOException {
        int port = TestPorts.freeOnLoopback();
        return start(dir, "sluice", relayConfig(port, backendPort, announce, timeout), port);
    }

    /** The configuration {@link #relayingTo} starts with, its inbound listener on {@code port}. */
    static String relayConfig(int port, int backendPort, Duration announce, Duration timeout) {
        return """
                smtp: { hostname: node.sluice.test }
                listeners:
                  - { name: mx, role: inbound, bind: "127.0.0.1:%d", backend-pool: mta }
                backends:
                  mta: { servers: ["127.0.0.1:%d"], xclient: false }
                cluster: { bind: "127.0.0.1:%d" }
                admin: { bind: "127.0.0.1:%d" }
                drain: { announce: %dms, timeout: %dms }
                """.formatted(port, backendPort, TestPorts.freeOnLoopback(), TestPorts.freeOnLoopback(),
                announce.toMillis(), timeout.toMillis());
    }

    /**
     * Writes {@code yaml} to {@code <name>.yaml} in {@code dir}, starts Sluice with it and returns once it listens
     * on {@code smtpPort}.
     */
    static SluiceProcess start(Path dir, String name, String yaml, int smtpPort) throws IOException {
        return start(dir, name, yaml, smtpPort, Map.of());
    }

    /** As {@link #start(Path, String, String, int)}, with these environment variables set for the process. */
    static SluiceProcess start(Path dir, String name, String yaml, int smtpPort, Map<String, String> environment)
            throws IOException {
        SluiceProcess sluice = launch(dir, name, yaml, smtpPort, environment);
        try {
            ExternalTool.awaitListeningWithin(smtpPort, sluice.process, START_CPU_BUDGET, START_HANG_GUARD,
                    "sluice " + name);
        } catch (RuntimeException e) {
            sluice.close();
            throw new IllegalStateException("sluice " + name + " did not start; its log:\n" + sluice.log(), e);
        }
        return sluice;
    }

    /** Writes {@code yaml} to {@code <name>.yaml} in {@code dir} and starts Sluice with it, without waiting. */
    static SluiceProcess launch(Path dir, String name, String yaml, int smtpPort, Map<String, String> environment)
            throws IOException {
        Path config = Files.writeString(dir.resolve(name + ".yaml"), yaml);
        Path log = dir.resolve(name + ".log");
        ProcessBuilder builder = new ProcessBuilder(javaCommand(config));
        builder.environment().putAll(environment);
        Process process = builder.redirectErrorStream(true).redirectOutput(log.toFile()).start();
        return new SluiceProcess(process, log, smtpPort);
    }

    private static List<String> javaCommand(Path config) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // With the signals a terminal or Kubernetes leaves it: a build started in the background of a shell without
        // job control ignores SIGINT, every process under it inherits that, and the JVM then keeps its hands off
        // SIGINT (as it does under nohup), so the drain on SIGINT could not be tested. env execs java: same pid.
        return List.of("env", "--default-signal=INT,TERM", java, "-Xmx256m", "--add-opens", "java.base/java.lang=ALL-UNNAMED",
                "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "run", "--config", config.toString());
    }

    /** The inbound listener's port. */
    int port() {
        return port;
    }

    Process process() {
        return process;
    }

    long pid() {
        return process.pid();
    }

    /** SIGTERM: the drain. */
    void terminate() {
        process.destroy();
    }

    /** SIGKILL: the process ends at once, as in a crash or an OOM kill. */
    void kill() {
        process.destroyForcibly();
    }

    /** Waits for the process to end; false if it still runs after {@code timeout}. */
    boolean awaitExit(Duration timeout) throws InterruptedException {
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    int exitValue() {
        return process.exitValue();
    }

    /** What the process printed so far (JSON log lines). */
    String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Kills the process if it still runs and waits for it to be gone. */
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
