package io.sluice.proxy.peers;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Finds and runs the real SMTP peers (Postfix tools, swaks) that integration tests drive over loopback.
 *
 * <p>Every process started through this class runs under coreutils {@code timeout}, so it ends even when
 * the JVM dies before a fixture's {@code close()} runs.
 */
public final class ExternalTool {

    /** Upper bound on the life of a long-running peer (smtp-sink, Postfix master). */
    static final Duration MAX_LIFETIME = Duration.ofMinutes(15);

    // Root's PATH has the sbin directories, an ordinary user's often does not; Postfix puts its tools there.
    private static final List<Path> SBIN = List.of(Path.of("/usr/sbin"), Path.of("/sbin"));

    private ExternalTool() {}

    /** Looks {@code name} up on {@code PATH}, then in the sbin directories. */
    public static Optional<Path> locate(String name) {
        List<Path> dirs = new ArrayList<>();
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty()) {
                dirs.add(Path.of(dir));
            }
        }
        dirs.addAll(SBIN);
        return dirs.stream().map(dir -> dir.resolve(name)).filter(Files::isExecutable).findFirst();
    }

    /**
     * Returns the tool's path; if it is missing, fails the test on CI (which installs it, so absence is a
     * defect) and skips it elsewhere.
     */
    public static Path requireTool(String name) {
        Optional<Path> tool = locate(name);
        require(tool.isPresent(), "the external tool '" + name + "' (Debian packages: postfix, swaks)");
        return tool.orElseThrow();
    }

    /** Fails the test on CI and skips it elsewhere unless {@code available}; {@code what} names the need. */
    public static void require(boolean available, String what) {
        if (available) {
            return;
        }
        if ("true".equals(System.getenv("CI"))) {
            Assertions.fail("CI must provide " + what);
        }
        Assumptions.abort("needs " + what);
    }

    /** Whether ::1 can be bound, i.e. IPv6 works on loopback here. */
    public static boolean hasIpv6Loopback() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("::1"))) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** The command line that runs {@code tool} for at most {@code lifetime}, then kills it. */
    static List<String> bounded(Duration lifetime, Path tool, List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(requireTool("timeout").toString());
        command.add("--kill-after=5");
        command.add(Long.toString(lifetime.toSeconds()));
        command.add(tool.toString());
        command.addAll(args);
        return command;
    }

    /** What a finished short-lived tool left behind. */
    public record Finished(int exitCode, String output, Duration elapsed) {}

    /**
     * Runs {@code tool} to completion with stdin closed and stdout and stderr merged.
     *
     * @throws AssertionError if it does not finish within {@code timeout}; the tool is killed first
     */
    public static Finished run(Duration timeout, Path tool, List<String> args) {
        Path output = null;
        Process process = null;
        try {
            output = Files.createTempFile("sluice-" + tool.getFileName(), ".out");
            long start = System.nanoTime();
            process = new ProcessBuilder(bounded(timeout.plusSeconds(30), tool, args))
                    .redirectErrorStream(true)
                    .redirectOutput(output.toFile())
                    .start();
            process.getOutputStream().close();
            boolean finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
            if (!finished) {
                destroyTree(process.toHandle(), Duration.ofSeconds(5));
                throw new AssertionError(tool.getFileName() + " " + args + " did not finish within " + timeout
                        + "; output so far:\n" + Files.readString(output, StandardCharsets.ISO_8859_1));
            }
            String printed = Files.readString(output, StandardCharsets.ISO_8859_1);
            return new Finished(process.exitValue(), printed, elapsed);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + tool, e);
        } finally {
            if (process != null && process.isAlive()) {
                destroyTree(process.toHandle(), Duration.ofSeconds(5));
            }
            if (output != null) {
                deleteRecursively(output);
            }
        }
    }

    /**
     * Waits until something listens on TCP {@code port}, failing early if {@code process} dies.
     *
     * <p>Reads the kernel's socket table instead of connecting: a probe connection would count as an SMTP
     * session (smtp-sink {@code -n}) and would trip connect-time fault options.
     */
    public static void awaitListening(int port, Process process, Duration timeout, String what) {
        awaitListening(null, port, process, timeout, what);
    }

    /**
     * Waits until the process listens on {@code port}, for as long as it has used less than {@code cpuBudget} of
     * processor time getting there: how long a start takes in wall-clock time depends on what else the machine runs,
     * how much work it takes does not. {@code hangGuard} bounds the wait in wall-clock time for a process that hangs
     * without using the processor.
     */
    public static void awaitListeningWithin(int port, Process process, Duration cpuBudget, Duration hangGuard,
                                            String what) {
        await(what + " listening on port " + port + " within " + cpuBudget + " of processor time")
                .atMost(hangGuard)
                .pollInterval(Duration.ofMillis(20))
                .until(() -> {
                    if (!process.isAlive()) {
                        throw new IllegalStateException(what + " exited with status " + process.exitValue()
                                + " before listening on port " + port);
                    }
                    if (isListening(null, port)) {
                        return true;
                    }
                    Duration used = process.toHandle().info().totalCpuDuration().orElse(Duration.ZERO);
                    if (used.compareTo(cpuBudget) > 0) {
                        throw new IllegalStateException(what + " used " + used + " of processor time without"
                                + " listening on port " + port);
                    }
                    return false;
                });
    }

    /** As {@link #awaitListening(int, Process, Duration, String)}, on the IPv4 address {@code host} (any if null). */
    public static void awaitListening(String host, int port, Process process, Duration timeout, String what) {
        await(what + " listening on port " + port)
                .atMost(timeout)
                .pollInterval(Duration.ofMillis(20))
                .until(() -> {
                    if (!process.isAlive()) {
                        throw new IllegalStateException(what + " exited with status " + process.exitValue()
                                + " before listening on port " + port);
                    }
                    return isListening(host, port);
                });
    }

    private static boolean isListening(String host, int port) throws IOException {
        // Columns of /proc/net/tcp{,6}: sl local_address(hexaddr:HEXPORT) rem_address st(0A = LISTEN) ...
        // An IPv4 address is in the kernel's byte order: 127.0.0.2 is 0200007F.
        String localPortSuffix = String.format(Locale.ROOT, ":%04X", port);
        String localAddress = null;
        if (host != null) {
            byte[] octets = java.net.InetAddress.getByName(host).getAddress();
            localAddress = String.format(Locale.ROOT, "%02X%02X%02X%02X", octets[3], octets[2], octets[1], octets[0]);
        }
        for (String table : host != null ? List.of("/proc/net/tcp") : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            Path path = Path.of(table);
            if (!Files.exists(path)) {
                continue;
            }
            for (String line : Files.readAllLines(path)) {
                String[] fields = line.trim().split("\\s+");
                if (fields.length > 3 && fields[1].endsWith(localPortSuffix) && fields[3].equals("0A")
                        && (localAddress == null || fields[1].startsWith(localAddress + ":")
                                || fields[1].startsWith("00000000:"))) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * True while the process exists and is not a zombie. Orphans of a stopped daemon can linger as zombies
     * when PID 1 does not reap them (as in some containers); they are dead and hold no sockets.
     */
    static boolean isRunning(ProcessHandle handle) {
        if (!handle.isAlive()) {
            return false;
        }
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(handle.pid()), "stat"));
            // Format: pid (comm) state ...; comm may contain spaces and parentheses, so search from the end.
            return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException e) {
            return handle.isAlive();
        }
    }

    /** Sends SIGTERM to {@code root} and its descendants, then SIGKILL to whatever outlives {@code grace}. */
    static void destroyTree(ProcessHandle root, Duration grace) {
        List<ProcessHandle> tree = new ArrayList<>(root.descendants().toList());
        tree.add(0, root);
        tree.forEach(ProcessHandle::destroy);
        if (!awaitAllStopped(tree, grace)) {
            tree.forEach(ProcessHandle::destroyForcibly);
            awaitAllStopped(tree, Duration.ofSeconds(5));
        }
    }

    /** Waits until none of {@code processes} runs; false if some still run after {@code timeout}. */
    static boolean awaitAllStopped(List<ProcessHandle> processes, Duration timeout) {
        try {
            await().atMost(timeout)
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> processes.stream().noneMatch(ExternalTool::isRunning));
            return true;
        } catch (ConditionTimeoutException e) {
            return false;
        }
    }

    static void deleteRecursively(Path path) {
        if (!Files.exists(path)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(path)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + path, e);
        }
    }
}
