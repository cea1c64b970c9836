package io.sluice.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class MainTest {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine commandLine = Main.commandLine();
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        return commandLine.execute(args);
    }

    @Test
    void sinkHelpListsItsOptions() {
        assertThat(run("sink", "--help")).isZero();
        assertThat(out.toString()).contains("--listen=HOST:PORT", "--hostname=NAME", "--report-interval=DURATION",
                "--threads=N");
    }

    @Test
    void sinkNeedsAListenAddress() {
        assertThat(run("sink")).isEqualTo(2);
        assertThat(err.toString()).contains("Missing required option: '--listen=HOST:PORT'");
    }

    @Test
    void sinkExplainsABadListenAddress() {
        assertThat(run("sink", "--listen", "2526")).isEqualTo(2);
        assertThat(err.toString()).contains("\"2526\" (expected: HOST:PORT");
    }

    @Test
    void sinkRefusesAHostnameWithSpaces() {
        assertThat(run("sink", "--listen", "127.0.0.1:0", "--hostname", "a b")).isEqualTo(2);
        assertThat(err.toString()).contains("--hostname: \"a b\" (expected: printable ASCII without spaces)");
    }

    @Test
    void sinkReportsAPortInUseAsAnError() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            assertThat(run("sink", "--listen", "127.0.0.1:" + taken.getLocalPort())).isEqualTo(1);
        }
        assertThat(err.toString()).startsWith("sink: cannot listen on 127.0.0.1:");
    }

    @Test
    void sinkNamesAWrongCapacity() {
        assertThat(run("sink", "--listen", "127.0.0.1:0", "--capacity", "300/s,100/s")).isEqualTo(2);
        assertThat(err.toString()).contains(
                "--capacity: \"100/s\" (expected: an offset for every step after the first, e.g. 100/s@30s)");
    }

    @Test
    void sinkNeedsAServiceTimeWithWorkers() {
        assertThat(run("sink", "--listen", "127.0.0.1:0", "--workers", "4")).isEqualTo(2);
        assertThat(err.toString()).contains("--workers: 4 (expected: with --service-time DURATION)");
    }

    @Test
    void loadNamesAWrongRetryAndNetworkMix() {
        assertThat(run("load", "--target", "127.0.0.1:1", "--schedule", "1/s:1s", "--retry", "5m,x")).isEqualTo(2);
        assertThat(err.toString()).contains("--retry: \"x\" (expected: waits > 0");
        assertThat(run("load", "--target", "127.0.0.1:1", "--schedule", "1/s:1s", "--networks", "a:1:50%"))
                .isEqualTo(2);
        assertThat(err.toString()).contains("--networks: \"a:1:50%\" (expected: shares that add up to 100%, not 50%)");
        assertThat(run("load", "--target", "127.0.0.1:1", "--schedule", "1/s:1s", "--time-scale", "60")).isEqualTo(2);
        assertThat(err.toString()).contains("--time-scale: 60.0 (expected: with --retry)");
    }

    @Test
    void withoutASubcommandItSaysWhatIsMissing() {
        assertThat(run()).isEqualTo(2);
        assertThat(err.toString()).contains("Missing required subcommand").contains("sink", "load", "demo");
    }

    @Test
    void loadHelpListsItsOptions() {
        assertThat(run("load", "--help")).isZero();
        assertThat(out.toString()).contains("--target=HOST:PORT", "--schedule=PHASES", "--concurrency=N",
                "--messages=N", "--recipients=N", "--size=SIZES", "--sources=CIDR", "--proxy-protocol=VERSION",
                "--max-sessions=N", "--grace=DURATION", "--sink=HOST:PORT", "--out=DIR");
    }

    @Test
    void loadNeedsEitherAScheduleOrAConcurrency() {
        assertThat(run("load", "--target", "127.0.0.1:25")).isEqualTo(2);
        assertThat(err.toString()).contains("Error: Missing required argument (specify one of these):"
                + " (--schedule=PHASES | --concurrency=N)");
    }

    @Test
    void loadExplainsABadSchedule() {
        assertThat(run("load", "--target", "127.0.0.1:25", "--schedule", "200:10s")).isEqualTo(2);
        assertThat(err.toString()).contains("\"200:10s\" (expected: RATE/s:DURATION");
    }

    @Test
    void closedLoopNeedsADuration() {
        assertThat(run("load", "--target", "127.0.0.1:25", "--concurrency", "5")).isEqualTo(2);
        assertThat(err.toString()).contains("--duration: missing (expected: with --concurrency)");
    }

    @Test
    void loadRunsAgainstItsOwnSinkAndWritesItsResults(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        String target = "127.0.0.1:" + io.sluice.testing.TestPorts.freeOnLoopback();

        assertThat(run("load", "--target", target, "--sink", target, "--schedule", "10/s:1s", "--out",
                dir.toString())).isZero();

        assertThat(out.toString()).contains("admitted                   10", "check: clean", "report: " + dir);
        assertThat(err.toString()).contains("load: t=  1s offered=");
        assertThat(dir.resolve("report.html")).isNotEmptyFile();
    }

    @Test
    void sinkRejectsABadFault() {
        assertThat(run("sink", "--listen", "127.0.0.1:0", "--fault", "dot:250")).isEqualTo(2);
        assertThat(err.toString()).contains("\"dot:250\" (expected: STAGE:ACTION[:every=N]");
    }

    @Test
    void demoHelpSaysWhatItDoes() {
        assertThat(run("demo", "--help")).isZero();
        assertThat(out.toString()).contains("Friday-style burst", "--limit=RATE", "--proxy-jar=JAR");
    }

    @Test
    void demoWantsTheProxyJar(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        assertThat(run("demo", "--proxy-jar", dir.resolve("missing.jar").toString())).isEqualTo(2);
        assertThat(err.toString()).contains("missing.jar not found");
    }

    @Test
    void demoNamesAnUnknownScenarioAndABadStep() {
        assertThat(run("demo", "--scenario", "monday")).isEqualTo(2);
        assertThat(err.toString()).contains("\"monday\" (expected: friday or adaptive)");

        assertThat(run("demo", "--scenario", "adaptive", "--high", "20", "--low", "20")).isEqualTo(2);
        assertThat(err.toString()).contains("--high 20, --low 20 (expected: high > low >= 1)");
    }
}
