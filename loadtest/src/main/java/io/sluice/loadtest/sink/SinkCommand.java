package io.sluice.loadtest.sink;

import io.sluice.loadtest.cli.DurationConverter;
import io.sluice.loadtest.cli.HostPortConverter;
import io.sluice.loadtest.cli.HostPorts;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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

/** {@code sink}: an SMTP server that accepts every message, counts and checks it, and throws it away. */
@Command(name = "sink",
        description = "Accept SMTP mail, count messages, recipients and bytes, and discard it.%n"
                + "Verifies the load generator's X-Sluice-Check header (loss, duplicates, corruption), counts"
                + " messages per peer address, and injects faults on demand.%n"
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

    @Option(names = "--fault", paramLabel = "STAGE:ACTION[:every=N]", converter = FaultConverter.class,
            description = "Inject a fault, at most one per stage: STAGE connect, ehlo, mail, rcpt, data, dot (the"
                    + " reply to the final dot) or quit; ACTION delay=DURATION, a 4xx/5xx code, or disconnect"
                    + " (close without a reply); every Nth time across the sink (default: every time)."
                    + " E.g. --fault dot:451:every=10 --fault rcpt:delay=200ms --fault dot:disconnect.")
    private List<Fault> faults = new ArrayList<>();

    @Option(names = "--slow-read", paramLabel = "BYTES_PER_SECOND", defaultValue = "0",
            description = "Read each connection at most this fast, e.g. 10000; 0 for no limit (default).")
    private long slowRead;

    @Option(names = "--out", paramLabel = "DIR",
            description = "At shutdown, write sink.json (totals, messages per peer address, checksum results) and"
                    + " sink-rate.csv (messages received per second) into DIR.")
    private Path out;

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
        if (slowRead < 0) {
            throw new ParameterException(spec.commandLine(), "--slow-read: " + slowRead + " (expected: >= 0)");
        }
        FaultPlan plan;
        try {
            plan = new FaultPlan(faults, slowRead);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--" + e.getMessage());
        }
        PrintWriter err = spec.commandLine().getErr();
        SinkServer server;
        try {
            server = SinkServer.start(listen, hostname, threads, plan);
        } catch (IOException e) {
            err.println("sink: " + e.getMessage());
            err.flush();
            return 1;
        }
        SinkStats.Snapshot start = server.stats().snapshot(System.nanoTime());
        err.printf("sink: listening on %s (%s), hostname %s, faults: %s%n",
                HostPorts.format(server.localAddress()), server.transport(), hostname, plan);
        err.flush();
        SinkRateLog rates = new SinkRateLog(server.stats());

        ScheduledExecutorService reporter = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "sink-report");
            thread.setDaemon(true);
            return thread;
        });
        reporter.scheduleAtFixedRate(rates::sample, 1, 1, TimeUnit.SECONDS);
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
            err.println(SinkReport.checks(server.stats()));
            if (out != null) {
                try {
                    rates.sample();
                    SinkReport.write(out, start, server.stats(), rates);
                    err.println("sink: results in " + out);
                } catch (IOException e) {
                    err.println("sink: cannot write results to " + out + ": " + e.getMessage());
                }
            }
            err.flush();
            stopped.countDown();
        }, "sink-shutdown"));
        // Runs until SIGTERM/SIGINT; the JVM exits once the hook above has printed the summary.
        stopped.await();
        return 0;
    }
}
