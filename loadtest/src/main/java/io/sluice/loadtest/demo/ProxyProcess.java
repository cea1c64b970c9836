package io.sluice.loadtest.demo;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Sluice running as a child process from its jar, its output in a log file. It is stopped on every way out: by
 * {@link #close}, and by a shutdown hook if this JVM ends first (Ctrl-C included).
 */
final class ProxyProcess implements AutoCloseable {

    private static final Duration STOP_WAIT = Duration.ofSeconds(15);

    private final Process process;
    private final Path log;
    private final Thread hook;

    private ProxyProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
        this.hook = new Thread(this::stop, "demo-proxy-stop");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** Starts {@code java -jar JAR run --config CONFIG} with the JVM running this one. */
    static ProxyProcess start(Path jar, Path config, Path log) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java, "-jar", jar.toString(), "run", "--config",
                config.toString()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        // One INFO line per transaction would cost the small demo machine more than the proxy itself.
        builder.environment().putIfAbsent("SLUICE_LOG_LEVEL", "WARN");
        return new ProxyProcess(builder.start(), log);
    }

    /**
     * Waits until the listener greets with 220, which it does only once the backend greeted the proxy: the whole
     * path is up.
     *
     * @throws IOException if the process ended or did not greet in time
     */
    void awaitGreeting(int port, Duration timeout) throws IOException, InterruptedException {
        long until = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() - until < 0) {
            if (!process.isAlive()) {
                throw new IOException("the proxy exited with status " + process.exitValue() + "; its log:\n"
                        + tail());
            }
            if (greets(port)) {
                return;
            }
            Thread.sleep(200); // polling a child's start; there is nothing to wait on
        }
        throw new IOException("the proxy did not greet on port " + port + " within " + timeout.toSeconds()
                + " s; its log:\n" + tail());
    }

    private static boolean greets(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
            socket.setSoTimeout(5000);
            InputStream in = socket.getInputStream();
            byte[] code = in.readNBytes(3);
            OutputStream out = socket.getOutputStream();
            out.write("QUIT\r\n".getBytes(StandardCharsets.US_ASCII));
            return new String(code, StandardCharsets.US_ASCII).equals("220");
        } catch (IOException e) {
            return false;
        }
    }

    /** The last lines of the log, for an error message. */
    String tail() {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(log unreadable: " + e.getMessage() + ")";
        }
    }

    /** SIGTERM (the proxy drains, briefly as configured), then SIGKILL if it is still there after a while. */
    private void stop() {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(STOP_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** Exit status once stopped. */
    int exitValue() {
        return process.exitValue();
    }

    @Override
    public void close() {
        stop();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook runs (or ran) anyway
        }
    }
}
