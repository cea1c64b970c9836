package io.sluice.loadtest.demo;

import io.sluice.loadtest.cli.HostPorts;
import io.sluice.loadtest.load.LoadCommand;
import io.sluice.loadtest.load.LoadGenerator;
import io.sluice.loadtest.load.LoadPlan;
import io.sluice.loadtest.load.LoadResult;
import io.sluice.loadtest.load.RetrySchedule;
import io.sluice.loadtest.load.Schedule;
import io.sluice.loadtest.load.TextReport;
import io.sluice.loadtest.report.Report;
import io.sluice.loadtest.sink.Sink;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code demo}: Sluice on the embedded default with a sink behind it and a global limit, a Friday burst at ten
 * times the limit in front, and the proof that the backend got the limit and no more. With {@code --scenario
 * adaptive}, a backend whose capacity steps down and up, with adaptive admission and with a static limit.
 */
@Command(name = "demo",
        description = "Start Sluice (embedded default) with a sink as its backend and a global limit, drive a"
                + " Friday-style burst at 10x the limit for about 30 s, and show offered vs admitted vs"
                + " backend-received rate, live and as a report. Exit status 0 if the backend got the limit"
                + " within 2%% and no message was lost. With --scenario adaptive: a backend whose capacity steps"
                + " from --high to --low and back, under an overload of retrying senders, once with adaptive"
                + " admission and once with a static limit of --high (about 3 minutes); exit status 0 if no message"
                + " was lost and adaptive admission kept the backend at 90%% of its capacity in the low plateau with"
                + " a latency under half the static limit's.",
        sortOptions = false)
public final class DemoCommand implements Callable<Integer> {

    /** What the demo shows. */
    enum Scenario { FRIDAY, ADAPTIVE }

    @Spec
    private CommandSpec spec;

    @Option(names = "--scenario", paramLabel = "NAME", defaultValue = "friday",
            converter = ScenarioConverter.class,
            description = "friday (a burst against a global limit) or adaptive (default: ${DEFAULT-VALUE}).")
    private Scenario scenario;

    @Option(names = "--limit", paramLabel = "RATE", defaultValue = "50",
            description = "Global limit in messages/s (default: ${DEFAULT-VALUE}).")
    private int limit;

    @Option(names = "--overload", paramLabel = "TIMES",
            description = "Burst rate as a multiple of the limit (default: 10; adaptive: 3 x --high).")
    private Integer overload;

    @Option(names = "--burst", paramLabel = "SECONDS", defaultValue = "20",
            description = "Length of the burst; 10 s at twice the limit come before it, 5 s after"
                    + " (default: ${DEFAULT-VALUE}).")
    private int burstSeconds;

    @Option(names = "--high", paramLabel = "RATE", defaultValue = "60",
            description = "Adaptive: the backend's capacity in messages/s in the first and last plateau, and the"
                    + " static limit (default: ${DEFAULT-VALUE}).")
    private int high;

    @Option(names = "--low", paramLabel = "RATE", defaultValue = "20",
            description = "Adaptive: the backend's capacity in the middle plateau (default: ${DEFAULT-VALUE}).")
    private int low;

    @Option(names = "--plateau", paramLabel = "SECONDS", defaultValue = "20",
            description = "Adaptive: the length of each plateau (default: ${DEFAULT-VALUE}).")
    private int plateau;

    @Option(names = "--proxy-jar", paramLabel = "JAR",
            defaultValue = "${env:SLUICE_PROXY_JAR:-proxy/target/sluice.jar}",
            description = "The proxy's jar (default: ${DEFAULT-VALUE}; ./sluice sets it).")
    private Path proxyJar;

    @Option(names = "--out", paramLabel = "DIR",
            description = "Directory for the report, results and the proxy's log"
                    + " (default: results/demo-<date>-<time>).")
    private Path out;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    private boolean help;

    /** What a scenario showed: its summary for the terminal, its page, and whether it proved its point. */
    private record Shown(String summary, Path page, boolean passed) {
    }

    @Override
    public Integer call() throws Exception {
        int overload = this.overload != null ? this.overload : scenario == Scenario.ADAPTIVE ? 3 : 10;
        AdaptiveScenario.Settings adaptive = null;
        if (scenario == Scenario.ADAPTIVE) {
            try {
                adaptive = new AdaptiveScenario.Settings(high, low, plateau, overload, Duration.ofMillis(200), 8, 4,
                        5, RetrySchedule.parse("5m,10m,20m", 120));
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage());
            }
        } else if (limit < 1 || overload < 1 || burstSeconds < 2) {
            throw new ParameterException(spec.commandLine(),
                    "--limit, --overload: >= 1 and --burst: >= 2 (expected: whole numbers in range)");
        }
        if (!Files.isRegularFile(proxyJar)) {
            throw new ParameterException(spec.commandLine(), "--proxy-jar: " + proxyJar
                    + " not found (expected: the proxy's jar; run ./sluice demo from the repository root)");
        }
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter stdout = spec.commandLine().getOut();
        Path dir = out != null ? out
                : LoadCommand.defaultDirectory(scenario == Scenario.ADAPTIVE ? "demo-adaptive" : "demo");
        Files.createDirectories(dir);
        try {
            Shown shown = adaptive != null ? adaptive(adaptive, dir, err) : friday(overload, dir, err);
            stdout.print(shown.summary());
            stdout.println("report: " + shown.page());
            stdout.flush();
            return shown.passed() ? 0 : 1;
        } catch (IOException e) {
            err.println("demo: " + e.getMessage());
            err.flush();
            return 1;
        }
    }

    private Shown friday(int overload, Path dir, PrintWriter err) throws IOException, InterruptedException {
        try (Sink sink = Sink.onLoopback()) {
            int[] ports = FreePorts.pick(3);
            DemoConfig config = new DemoConfig(ports[0], sink.address().getPort(), ports[1], ports[2], limit);
            Path configFile = dir.resolve("sluice.yaml");
            Files.writeString(configFile, config.yaml(), StandardCharsets.UTF_8);
            err.printf("demo: sink on %s; starting Sluice on 127.0.0.1:%d (config %s, log %s)%n",
                    HostPorts.format(sink.address()), config.listenPort(), configFile, dir.resolve("sluice.log"));
            err.flush();
            LoadResult result;
            try (ProxyProcess proxy = ProxyProcess.start(proxyJar, configFile, dir.resolve("sluice.log"))) {
                proxy.awaitGreeting(config.listenPort(), Duration.ofSeconds(90));
                LoadPlan plan = plan(config.listenPort(), overload);
                err.printf("demo: Sluice is up; %s (limit %d/s)%n", plan.arrivals(), limit);
                err.flush();
                result = new LoadGenerator(plan, Optional.of(sink), second -> {
                    err.println(TextReport.progress(second));
                    err.flush();
                }).run();
                err.println("demo: stopping Sluice (SIGTERM, drain)");
                err.flush();
            }
            DemoVerdict verdict = DemoVerdict.of(result, limit);
            Path html = Report.write(dir, result, OptionalDouble.of(limit), Map.of("demo", verdict.json()),
                    List.of(verdict.lines()));
            return new Shown(TextReport.summary(result) + verdict.table(), html, verdict.passed());
        }
    }

    /** The adaptive scenario's two runs, one after the other, and their page. */
    private Shown adaptive(AdaptiveScenario.Settings settings, Path dir, PrintWriter err)
            throws IOException, InterruptedException {
        AdaptiveScenario scenario = new AdaptiveScenario(settings, proxyJar, err);
        List<AdaptiveScenario.Run> runs = new ArrayList<>();
        for (DemoConfig.Admission admission : DemoConfig.Admission.values()) {
            runs.add(scenario.run(admission, dir));
        }
        AdaptiveVerdict verdict = AdaptiveVerdict.of(settings, runs);
        return new Shown(verdict.table(), verdict.write(dir), verdict.passed());
    }

    /** {@code friday} or {@code adaptive}, in any case. */
    static final class ScenarioConverter implements picocli.CommandLine.ITypeConverter<Scenario> {
        @Override
        public Scenario convert(String value) {
            try {
                return Scenario.valueOf(value.toUpperCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new picocli.CommandLine.TypeConversionException("\"" + value
                        + "\" (expected: friday or adaptive)");
            }
        }
    }

    /** Warm-up at twice the limit (it also empties the bucket's burst), the burst, and a short tail. */
    private LoadPlan plan(int port, int overload) {
        Schedule schedule = Schedule.parse(String.format("%d/s:10s,%d/s:%ds,%d/s:5s", 2 * limit, overload * limit,
                burstSeconds, 2 * limit));
        return LoadPlan.openLoop(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), schedule)
                .withBounds(LoadPlan.DEFAULT_MAX_SESSIONS, Duration.ofSeconds(10), Duration.ofSeconds(20));
    }
}
