package io.sluice.loadtest.load;

import io.sluice.loadtest.cli.DurationConverter;
import io.sluice.loadtest.cli.HostPortConverter;
import io.sluice.loadtest.cli.HostPorts;
import io.sluice.loadtest.report.Report;
import io.sluice.loadtest.sink.Sink;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code load}: drives SMTP sessions at a server and reports what it answered. */
@Command(name = "load",
        description = "Send SMTP load: open loop (--schedule) or closed loop (--concurrency with --duration).%n"
                + "Prints a progress line per second to stderr and a summary at the end; writes JSON, CSV, PNG"
                + " charts and an HTML report to --out. Every run stops by itself.",
        sortOptions = false)
public final class LoadCommand implements Callable<Integer> {

    /** Exit status when the checksums show loss, duplication or corruption. */
    static final int CHECK_FAILED = 3;

    @Spec
    private CommandSpec spec;

    @Option(names = "--target", required = true, paramLabel = "HOST:PORT", converter = HostPortConverter.class,
            description = "The SMTP server to load, e.g. 127.0.0.1:2525.")
    private InetSocketAddress target;

    @ArgGroup(exclusive = true, multiplicity = "1")
    private Arrivals arrivals;

    static final class Arrivals {
        @Option(names = "--schedule", paramLabel = "PHASES",
                description = "Open loop: sessions per second, phase by phase, e.g. 200/s:10s,2000/s:30s,200/s:10s;"
                        + " a ramp is 200/s..2000/s:10s.")
        String schedule;

        @Option(names = "--concurrency", paramLabel = "N",
                description = "Closed loop: keep N sessions open, starting a new one as soon as one ends.")
        Integer concurrency;
    }

    @Option(names = "--duration", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Closed loop only: how long to start sessions, e.g. 30s.")
    private Duration duration;

    @Option(names = "--messages", paramLabel = "N", defaultValue = "1",
            description = "Messages per session (default: ${DEFAULT-VALUE}).")
    private int messages;

    @Option(names = "--recipients", paramLabel = "N", defaultValue = "1",
            description = "Recipients per message (default: ${DEFAULT-VALUE}).")
    private int recipients;

    @Option(names = "--size", paramLabel = "SIZES", defaultValue = "2KB",
            description = "Body size: 2KB, a range 1KB..64KB, or weighted 2KB:70,20KB:25,1MB:5 (default: 2KB).")
    private String size;

    @Option(names = "--sources", paramLabel = "CIDR",
            description = "Bind each session to a source address from this network, e.g. 127.1.0.0/16 (every"
                    + " address in 127.0.0.0/8 is local on Linux).")
    private String sources;

    @Option(names = "--source-pick", paramLabel = "HOW", defaultValue = "round-robin",
            description = "round-robin or random (default: ${DEFAULT-VALUE}); for --sources and --proxy-clients.")
    private String sourcePick;

    @Option(names = "--networks", paramLabel = "NAME:COUNT:SHARE%,...",
            description = "Sessions from client networks, e.g. heavy:1:80%,small:50:20% (one network sending 80%,"
                    + " fifty sharing 20%); group g's network n binds to 127.(16+g).n.0/24. Instead of --sources.")
    private String networks;

    @Option(names = "--retry", paramLabel = "WAIT,...",
            description = "Keep a message deferred with a 4xx (at connect, MAIL, RCPT, DATA or after the final dot)"
                    + " and retry it after each wait in turn, e.g. 5m,10m,20m; deferred at the last retry, it is"
                    + " given up (a bounce). Each message then has a sender of its own (load-RUN-SEQ@domain),"
                    + " the same at every attempt. Default: no retries.")
    private String retry;

    @Option(names = "--time-scale", paramLabel = "FACTOR", defaultValue = "1",
            description = "Run the retry waits this much faster, e.g. 60: a minute of them passes in a second"
                    + " (default: ${DEFAULT-VALUE}).")
    private double timeScale;

    @Option(names = "--proxy-protocol", paramLabel = "VERSION",
            description = "Send a PROXY protocol header first: v1 or v2.")
    private String proxyProtocol;

    @Option(names = "--proxy-clients", paramLabel = "CIDR", defaultValue = "192.0.2.0/24",
            description = "Client addresses the PROXY header names (default: ${DEFAULT-VALUE}).")
    private String proxyClients;

    @Option(names = "--max-sessions", paramLabel = "N", defaultValue = "10000000",
            description = "Sessions started at most (default: ${DEFAULT-VALUE}).")
    private long maxSessions;

    @Option(names = "--grace", paramLabel = "DURATION", defaultValue = "10s", converter = DurationConverter.class,
            description = "After the last arrival, time for open sessions to finish before they are cut"
                    + " (default: ${DEFAULT-VALUE}).")
    private Duration grace;

    @Option(names = "--reply-timeout", paramLabel = "DURATION", defaultValue = "30s",
            converter = DurationConverter.class,
            description = "Longest wait for a connect or any reply (default: ${DEFAULT-VALUE}).")
    private Duration replyTimeout;

    @Option(names = "--idle", paramLabel = "DURATION", defaultValue = "0", converter = DurationConverter.class,
            description = "Keep each session idle this long after EHLO before its first message, e.g. 60s to hold"
                    + " many sessions open at once (default: 0).")
    private Duration idle;

    @Option(names = "--warmup", paramLabel = "DURATION", defaultValue = "0", converter = DurationConverter.class,
            description = "Run the same load this long first, unmeasured, so that the generator's own code is"
                    + " compiled before it measures (default: 0).")
    private Duration warmup;

    @Option(names = "--helo", paramLabel = "NAME", defaultValue = "load.sluice.test",
            description = "Name in EHLO (default: ${DEFAULT-VALUE}).")
    private String helo;

    @Option(names = "--sender-domain", paramLabel = "DOMAIN", defaultValue = "sender.sluice.test",
            description = "Domain of the reverse path (default: ${DEFAULT-VALUE}).")
    private String senderDomain;

    @Option(names = "--recipient-domain", paramLabel = "DOMAIN", defaultValue = "rcpt.sluice.test",
            description = "Domain of the recipients (default: ${DEFAULT-VALUE}).")
    private String recipientDomain;

    @Option(names = "--sink", paramLabel = "HOST:PORT", converter = HostPortConverter.class,
            description = "Also run a sink here, in this process, as the target's backend: its received rate is"
                    + " charted and every message's checksum is verified.")
    private InetSocketAddress sink;

    @Option(names = "--limit", paramLabel = "RATE",
            description = "A configured limit in messages/s, drawn on the rates chart for comparison.")
    private Double limit;

    @Option(names = "--out", paramLabel = "DIR",
            description = "Directory for the results (default: results/load-<date>-<time>).")
    private Path out;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0",
            description = "Event loop threads; 0 means one per core (default: ${DEFAULT-VALUE}).")
    private int threads;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    private boolean help;

    @Override
    public Integer call() throws Exception {
        LoadPlan plan = plan();
        PrintWriter err = spec.commandLine().getErr();
        Path dir = out != null ? out : defaultDirectory("load");
        Sink backend = sink == null ? null : startSink();
        try {
            if (!warmup.isZero()) {
                err.printf("load: warming up for %ds, unmeasured%n", warmup.toSeconds());
                err.flush();
                new LoadGenerator(plan.warmup(warmup), Optional.empty(), second -> { }).run();
            }
            err.printf("load: %s against %s%n", plan.arrivals(), HostPorts.format(plan.target()));
            err.flush();
            LoadResult result = new LoadGenerator(plan, Optional.ofNullable(backend), second -> {
                err.println(TextReport.progress(second));
                err.flush();
            }).run();
            spec.commandLine().getOut().print(TextReport.summary(result));
            Path html = Report.write(dir, result, limit == null ? OptionalDouble.empty() : OptionalDouble.of(limit),
                    Map.of(), List.of());
            spec.commandLine().getOut().println("report: " + html);
            spec.commandLine().getOut().flush();
            return result.check().map(c -> c.clean() ? 0 : CHECK_FAILED).orElse(0);
        } finally {
            if (backend != null) {
                backend.close();
            }
        }
    }

    private Sink startSink() {
        try {
            return Sink.start(sink);
        } catch (IOException e) {
            throw new ParameterException(spec.commandLine(), "--sink: " + e.getMessage());
        }
    }

    /** The plan the options describe; every option error is a usage error. */
    LoadPlan plan() {
        try {
            LoadPlan plan;
            if (arrivals.schedule != null) {
                if (duration != null) {
                    throw new IllegalArgumentException("--duration: only with --concurrency (a schedule has its own)");
                }
                plan = LoadPlan.openLoop(target, Schedule.parse(arrivals.schedule));
            } else {
                if (duration == null) {
                    throw new IllegalArgumentException("--duration: missing (expected: with --concurrency)");
                }
                plan = LoadPlan.closedLoop(target, arrivals.concurrency, duration);
            }
            AddressRange.Pick pick = switch (sourcePick) {
                case "round-robin" -> AddressRange.Pick.ROUND_ROBIN;
                case "random" -> AddressRange.Pick.RANDOM;
                default -> throw new IllegalArgumentException(
                        "--source-pick: \"" + sourcePick + "\" (expected: round-robin or random)");
            };
            Optional<LoadPlan.ProxyHeader> header = Optional.empty();
            if (proxyProtocol != null) {
                int version = switch (proxyProtocol) {
                    case "v1", "1" -> 1;
                    case "v2", "2" -> 2;
                    default -> throw new IllegalArgumentException(
                            "--proxy-protocol: \"" + proxyProtocol + "\" (expected: v1 or v2)");
                };
                header = Optional.of(new LoadPlan.ProxyHeader(version, AddressRange.parse(proxyClients, pick)));
            }
            Optional<RetrySchedule> retries = Optional.empty();
            if (!(timeScale > 0 && timeScale <= RetrySchedule.MAX_TIME_SCALE)) {
                throw new IllegalArgumentException("--time-scale: " + timeScale + " (expected: > 0 and <= "
                        + (long) RetrySchedule.MAX_TIME_SCALE + ")");
            }
            if (retry != null) {
                try {
                    retries = Optional.of(RetrySchedule.parse(retry, timeScale));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("--retry: " + e.getMessage());
                }
            } else if (timeScale != 1) {
                throw new IllegalArgumentException("--time-scale: " + timeScale + " (expected: with --retry)");
            }
            Optional<NetworkMix> mix = Optional.empty();
            if (networks != null) {
                if (sources != null) {
                    throw new IllegalArgumentException("--networks: \"" + networks
                            + "\" (expected: either --networks or --sources)");
                }
                try {
                    mix = Optional.of(NetworkMix.parse(networks));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("--networks: " + e.getMessage());
                }
            }
            return plan.withMessages(messages, recipients, SizeDistribution.parse(size))
                    .withSenders(retries, mix)
                    .withAddresses(Optional.ofNullable(sources).map(s -> AddressRange.parse(s, pick)), header)
                    .withBounds(maxSessions, grace, replyTimeout)
                    .withNames(helo, senderDomain, recipientDomain)
                    .withIdle(idle)
                    .withThreads(threads);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /** {@code results/NAME-yyyyMMdd-HHmmss} under the working directory. */
    public static Path defaultDirectory(String name) {
        return Path.of("results", name + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern(
                "yyyyMMdd-HHmmss")));
    }
}
