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
                + "With --capacity or --workers it takes messages no faster than a backend of that capacity: the reply"
                + " to each final dot waits its turn, so overload shows as the latency of that reply.%n"
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

    @Option(names = "--capacity", paramLabel = "RATE[,RATE@OFFSET...]",
            description = "Accept at most RATE messages per second; the reply to a final dot waits its turn. Steps"
                    + " from an offset since the start: 300/s,100/s@30s,300/s@60s (default: no limit).")
    private String capacity;

    @Option(names = "--workers", paramLabel = "N",
            description = "With --service-time: N messages in service at once, the rest wait (instead of"
                    + " --capacity).")
    private Integer workers;

    @Option(names = "--service-time", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "With --workers: how long each message takes in service, e.g. 20ms.")
    private Duration serviceTime;

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

    /** The service model the options describe; an error names the option and its value. */
    private ServiceModel serviceModel() {
        if (capacity != null && (workers != null || serviceTime != null)) {
            throw new ParameterException(spec.commandLine(),
                    "--capacity: \"" + capacity + "\" (expected: either --capacity or --workers with --service-time)");
        }
        if (capacity != null) {
            try {
                return ServiceModel.capacity(CapacitySchedule.parse(capacity));
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), "--capacity: " + e.getMessage());
            }
        }
        if (workers == null && serviceTime == null) {
            return ServiceModel.unlimited();
        }
        if (workers == null) {
            throw new ParameterException(spec.commandLine(), "--service-time: " + serviceTime.toMillis()
                    + "ms (expected: with --workers N)");
        }
        if (serviceTime == null) {
            throw new ParameterException(spec.commandLine(), "--workers: " + workers
                    + " (expected: with --service-time DURATION)");
        }
        if (workers < 1 || workers > ServiceModel.MAX_WORKERS) {
            throw new ParameterException(spec.commandLine(), "--workers: " + workers + " (expected: 1-"
                    + ServiceModel.MAX_WORKERS + ")");
        }
        if (serviceTime.isZero() || serviceTime.compareTo(ServiceModel.MAX_SERVICE_TIME) > 0) {
            throw new ParameterException(spec.commandLine(), "--service-time: " + serviceTime.toMillis()
                    + "ms (expected: > 0 and <= 1h)");
        }
        return ServiceModel.workers(workers, serviceTime);
    }

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
        ServiceModel service = serviceModel();
        PrintWriter err = spec.commandLine().getErr();
        SinkServer server;
        try {
            server = SinkServer.start(listen, hostname, threads, plan, service);
        } catch (IOException e) {
            err.println("sink: " + e.getMessage());
            err.flush();
            return 1;
        }
        SinkStats.Snapshot start = server.stats().snapshot(System.nanoTime());
        err.printf("sink: listening on %s (%s), hostname %s, service: %s, faults: %s%n",
                HostPorts.format(server.localAddress()), server.transport(), hostname, service, plan);
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
                err.println(SinkReport.progress(start, previous[0], now, rates.takeSinceProgress()));
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
            err.println(SinkReport.latency(server.stats(), service));
            if (out != null) {
                try {
                    rates.sample();
                    SinkReport.write(out, start, server.stats(), rates, service);
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
