package io.sluice.loadtest.sink;

import io.sluice.loadtest.cli.DurationConverter;
import io.sluice.loadtest.cli.HostPortConverter;
import io.sluice.loadtest.cli.HostPorts;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code sink}: an SMTP server that accepts every message, counts it and throws it away. */
@Command(name = "sink",
        description = "Accept SMTP mail, count messages, recipients and bytes, and discard it.%n"
                + "Prints progress to stderr and a summary on SIGTERM/SIGINT.",
        sortOptions = false)
public final class SinkCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--listen", required = true, paramLabel = "HOST:PORT", converter = HostPortConverter.class,
            description = "Address to listen on, e.g. 127.0.0.1:2526 or [::1]:2526.")
    private InetSocketAddress listen;

    @Option(names = "--hostname", paramLabel = "NAME", defaultValue = "sink.sluice.test",
            description = "Name in the greeting and the EHLO reply (default: ${DEFAULT-VALUE}).")
    private String hostname;

    @Option(names = "--report-interval", paramLabel = "DURATION", defaultValue = "5s",
            converter = DurationConverter.class,
            description = "Progress line period, e.g. 1s, 500ms; 0 turns it off (default: ${DEFAULT-VALUE}).")
    private Duration reportInterval;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0",
            description = "Event loop threads for connections; 0 means one per core (default: ${DEFAULT-VALUE}).")
    private int threads;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    private boolean help;

    @Override
    public Integer call() throws InterruptedException {
        if (!SinkReplies.isPrintableAscii(hostname)) {
            throw new ParameterException(spec.commandLine(),
                    "--hostname: \"" + hostname + "\" (expected: printable ASCII without spaces)");
        }
        if (threads < 0) {
            throw new ParameterException(spec.commandLine(), "--threads: " + threads + " (expected: >= 0)");
        }
        PrintWriter err = spec.commandLine().getErr();
        SinkServer server;
        try {
            server = SinkServer.start(listen, hostname, threads);
        } catch (IOException e) {
            err.println("sink: " + e.getMessage());
            err.flush();
            return 1;
        }
        SinkStats.Snapshot start = server.stats().snapshot(System.nanoTime());
        err.printf("sink: listening on %s (%s), hostname %s%n",
                HostPorts.format(server.localAddress()), server.transport(), hostname);
        err.flush();

        ScheduledExecutorService reporter = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "sink-report");
            thread.setDaemon(true);
            return thread;
        });
        if (!reportInterval.isZero()) {
            SinkStats.Snapshot[] previous = {start};
            long period = reportInterval.toNanos();
            reporter.scheduleAtFixedRate(() -> {
                SinkStats.Snapshot now = server.stats().snapshot(System.nanoTime());
                err.println(SinkReport.progress(start, previous[0], now));
                err.flush();
                previous[0] = now;
            }, period, period, TimeUnit.NANOSECONDS);
        }

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            reporter.shutdownNow();
            server.close();
            err.println(SinkReport.summary(start, server.stats().snapshot(System.nanoTime())));
            err.flush();
            stopped.countDown();
        }, "sink-shutdown"));
        // Runs until SIGTERM/SIGINT; the JVM exits once the hook above has printed the summary.
        stopped.await();
        return 0;
    }
}
