package io.sluice.proxy.peers;

import static org.awaitility.Awaitility.await;

import io.sluice.testing.TestPorts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A Postfix {@code smtp-sink} on 127.0.0.1 that stores every mail transaction it receives, so tests can
 * count and read what a backend got.
 *
 * <p>Fault options for {@link #start(String...)}, as observed with swaks against Postfix 3.7
 * ({@code CMD} is one or more of {@code connect, helo, ehlo, mail, rcpt, data, ., rset, noop, quit},
 * comma-separated; {@code connect} means the greeting, {@code .} the end of DATA):
 * <ul>
 *   <li>{@code -q CMD}: after CMD, close the connection without replying ({@code -q connect}: no greeting;
 *       {@code -q .}: no final reply after the 354 and the data).
 *   <li>{@code -Q CMD}: after CMD, reply {@code 421 4.0.0 Server closing connection} and close.
 *   <li>{@code -r CMD}: reply {@code 450 4.3.0 Error: command failed} to CMD and carry on; {@code -b 'NNN
 *       text'} replaces that reply (must start with 4).
 *   <li>{@code -f CMD}: reply {@code 500 5.3.0 Error: command failed} to CMD and carry on; {@code -B 'NNN
 *       text'} replaces that reply (must start with 5). Both {@code -r} and {@code -f} also stop
 *       advertising PIPELINING.
 *   <li>{@code -w SECONDS}: delay the 354 reply to DATA.
 *   <li>{@code -W CMD:SECONDS}: delay the reply to CMD ({@code -W connect:2} delays the greeting,
 *       {@code -W .:2} the final reply).
 *   <li>{@code -H SECONDS}: delay reading the message data after the 354; the client sees a slow final
 *       reply.
 *   <li>{@code -A SECONDS}: after the 354, stop reading, wait, reply {@code 550 This violates SMTP} and
 *       close before the client sends the final dot; nothing is stored. With 0 the client may be
 *       killed by SIGPIPE while still writing (swaks exits with 141).
 *   <li>{@code -M COUNT}: exit after storing COUNT messages; the COUNTth message gets no final reply (the
 *       connection just closes) and later connections are refused.
 * </ul>
 *
 * <p>A transaction is stored as soon as the final dot is read, before the reply to it: with {@code -q .},
 * {@code -Q .}, {@code -r .}, {@code -f .} or {@code -M} the message counts in {@link #messages()} even
 * though the client was not told it was accepted. Transactions aborted earlier (RSET, EHLO, disconnect,
 * {@code -A}) are not stored. Do not pass {@code -d} or {@code -D}: the fixture sets {@code -d} itself.
 *
 * <p>smtp-sink advertises {@code XCLIENT NAME HELO} and answers any XCLIENT with 250 but ignores it:
 * {@link Message#clientAddress()} is always the TCP peer. {@code -C} stops advertising XCLIENT.
 */
public final class SmtpSinkProcess implements AutoCloseable {

    private static final String PREFIX = "msg.";

    private final Process process;
    private final int port;
    private final Path directory;
    private final Path dumps;

    private SmtpSinkProcess(Process process, int port, Path directory, Path dumps) {
        this.process = process;
        this.port = port;
        this.directory = directory;
        this.dumps = dumps;
    }

    /** Starts smtp-sink with the given extra options and returns once it listens. */
    public static SmtpSinkProcess start(String... extraOptions) {
        return startOn(TestPorts.freeOnLoopback(), extraOptions);
    }

    /** As {@link #start(String...)}, on a given port (to bring a backend back where it was). */
    public static SmtpSinkProcess startOn(int port, String... extraOptions) {
        return startAt("127.0.0.1", port, extraOptions);
    }

    /** As {@link #start(String...)}, on another loopback address, such as a remote MX at 127.0.0.2. */
    public static SmtpSinkProcess startAt(String host, int port, String... extraOptions) {
        Path sink = ExternalTool.requireTool("smtp-sink");
        Path directory = null;
        try {
            directory = Files.createTempDirectory("sluice-sink");
            // As root, smtp-sink must drop to another user (-u) who then writes the dump files.
            Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwxr-xr-x"));
            Path dumps = Files.createDirectory(directory.resolve("dumps"));
            Files.setPosixFilePermissions(dumps, PosixFilePermissions.fromString("rwxrwxrwx"));
            List<String> args = new ArrayList<>();
            if (ExternalTool.isRoot()) {
                args.addAll(List.of("-u", "nobody"));
            }
            // -d appends a random hex id to the template; the template has no strftime(3) escapes.
            args.addAll(List.of("-d", dumps.resolve(PREFIX).toString()));
            args.addAll(Arrays.asList(extraOptions));
            args.addAll(List.of(host + ":" + port, "64"));
            Process process = new ProcessBuilder(ExternalTool.bounded(ExternalTool.MAX_LIFETIME, sink, args))
                    .redirectErrorStream(true)
                    .redirectOutput(directory.resolve("sink.out").toFile())
                    .start();
            process.getOutputStream().close();
            SmtpSinkProcess started = new SmtpSinkProcess(process, port, directory, dumps);
            try {
                ExternalTool.awaitListening(host, port, process, Duration.ofSeconds(10), "smtp-sink " + args);
            } catch (RuntimeException e) {
                String output = started.output();
                started.close();
                throw new IllegalStateException("smtp-sink did not start; its output:\n" + output, e);
            }
            return started;
        } catch (IOException e) {
            if (directory != null) {
                ExternalTool.deleteRecursively(directory);
            }
            throw new UncheckedIOException(e);
        }
    }

    public int port() {
        return port;
    }

    /** True until smtp-sink exits (it exits on its own only with {@code -M} or {@code -n}). */
    public boolean isRunning() {
        return process.isAlive();
    }

    /** What smtp-sink printed, e.g. {@code smtp-sink: warning: lost connection}. */
    public String output() {
        try {
            return Files.readString(directory.resolve("sink.out"), StandardCharsets.ISO_8859_1);
        } catch (NoSuchFileException e) {
            return "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The stored transactions whose data is complete, oldest first. */
    public List<Message> messages() {
        try {
            List<Path> complete = dumpFiles(false);
            List<Message> messages = new ArrayList<>();
            for (Path path : complete.stream().sorted(byModificationTime()).toList()) {
                try {
                    messages.add(new Message(Files.readString(path, StandardCharsets.ISO_8859_1)));
                } catch (NoSuchFileException e) {
                    // aborted transaction, deleted meanwhile
                }
            }
            return messages;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Transactions under way: begun with MAIL, neither complete nor aborted yet. */
    public int transactionsUnderWay() {
        try {
            return dumpFiles(true).size();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The dump files still open (transactions under way), or those closed (complete ones). */
    private List<Path> dumpFiles(boolean open) throws IOException {
        // List before looking at open files: smtp-sink opens a dump file when it creates it (at MAIL), so
        // a listed file that is not open any more has been completed (or deleted on abort).
        List<Path> listed;
        try (Stream<Path> files = Files.list(dumps)) {
            listed = files.filter(p -> p.getFileName().toString().startsWith(PREFIX)).toList();
        }
        Set<String> openNames = openFileNames();
        return listed.stream().filter(path -> openNames.contains(path.getFileName().toString()) == open).toList();
    }

    /** Waits until at least {@code count} transactions are complete and returns all of them. */
    public List<Message> awaitMessages(int count, Duration timeout) {
        await("smtp-sink on port " + port + " storing " + count + " message(s)")
                .atMost(timeout)
                .pollInterval(Duration.ofMillis(50))
                .until(() -> messages().size() >= count);
        return messages();
    }

    private Set<String> openFileNames() {
        Set<String> names = new HashSet<>();
        // The process we started is coreutils timeout; smtp-sink is its child.
        List<ProcessHandle> sinks = process.toHandle().descendants().toList();
        for (ProcessHandle sink : sinks) {
            Path fds = Path.of("/proc", Long.toString(sink.pid()), "fd");
            try (Stream<Path> links = Files.list(fds)) {
                for (Path link : links.toList()) {
                    try {
                        Path target = Files.readSymbolicLink(link);
                        if (target.getFileName() != null) {
                            names.add(target.getFileName().toString());
                        }
                    } catch (IOException e) {
                        // descriptor closed while we looked
                    }
                }
            } catch (IOException e) {
                // smtp-sink exited: every dump file is closed
            }
        }
        return names;
    }

    private static Comparator<Path> byModificationTime() {
        return Comparator.comparing((Path p) -> {
            try {
                return Files.getLastModifiedTime(p);
            } catch (IOException e) {
                return FileTime.fromMillis(0);
            }
        }).thenComparing(Path::toString);
    }

    @Override
    public void close() {
        ExternalTool.destroyTree(process.toHandle(), Duration.ofSeconds(5));
        ExternalTool.deleteRecursively(directory);
    }

    /**
     * One transaction as smtp-sink stored it: its own header lines ({@code X-Client-Addr}, {@code
     * X-Client-Proto}, {@code X-Helo-Args}, {@code X-Mail-Args}, one {@code X-Rcpt-Args} per RCPT, a
     * three-line {@code Received}) followed by the message. smtp-sink drops every CR from the data and
     * undoes dot-stuffing, so lines end in LF and bare CR is invisible here.
     */
    public record Message(String dump) {

        /** The message data as the client sent it, dot-unstuffed, with LF line ends. */
        public String content() {
            int received = dump.startsWith("Received: ") ? 0 : dump.indexOf("\nReceived: ") + 1;
            int start = received;
            for (int line = 0; line < 3; line++) {
                start = dump.indexOf('\n', start) + 1;
            }
            // The final LF comes from the ".\r\n" that ended the data.
            return dump.substring(start, dump.length() - 1);
        }

        /** The client's IP address as smtp-sink saw it (an IPv6 one is prefixed with {@code ipv6:}). */
        public String clientAddress() {
            return sinkField("X-Client-Addr").get(0);
        }

        /** The arguments of MAIL FROM, e.g. {@code <a@example.org> SIZE=100}. */
        public String mailArgs() {
            return sinkField("X-Mail-Args").get(0);
        }

        /** The arguments of each RCPT TO, in order. */
        public List<String> rcptArgs() {
            return sinkField("X-Rcpt-Args");
        }

        /** The unfolded values of the message's header fields called {@code name}, in order. */
        public List<String> headers(String name) {
            String content = content();
            int end = content.indexOf("\n\n");
            String section = end < 0 ? content : content.substring(0, end);
            // RFC 5322 §2.2.3: unfolding removes the CRLF in front of continuation whitespace.
            String unfolded = section.replaceAll("\n(?=[ \t])", "");
            List<String> values = new ArrayList<>();
            for (String line : unfolded.split("\n")) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).equalsIgnoreCase(name)) {
                    values.add(line.substring(colon + 1).trim());
                }
            }
            return values;
        }

        private List<String> sinkField(String name) {
            String prefix = name + ": ";
            List<String> values = new ArrayList<>();
            for (String line : dump.split("\n")) {
                if (line.startsWith("Received: ")) {
                    break;
                }
                if (line.startsWith(prefix)) {
                    values.add(line.substring(prefix.length()));
                }
            }
            return values;
        }
    }
}
