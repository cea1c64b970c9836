package io.sluice.charts;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The alert rules pass {@code promtool check rules} and their unit tests, {@code promtool test rules}. */
class PromtoolTest {

    private static final Path OPS = Chart.DIR.resolve("ops");
    private static final Duration CPU_BUDGET = Duration.ofSeconds(60);
    private static final Duration HANG_GUARD = Duration.ofMinutes(10);
    private static Path promtool;

    @BeforeAll
    static void findPromtool() {
        Optional<Path> found = Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .filter(dir -> !dir.isEmpty()).map(dir -> Path.of(dir, "promtool")).filter(Files::isExecutable)
                .findFirst();
        if (found.isEmpty()) {
            // CI installs it (.ci/run), so there its absence is a defect.
            if ("true".equals(System.getenv("CI"))) {
                Assertions.fail("CI must provide promtool (Debian package: prometheus)");
            }
            Assumptions.abort("needs promtool (Debian package: prometheus)");
        }
        promtool = found.get();
    }

    @Test
    void rulesAreValid() throws Exception {
        String output = run("check", "rules", "alerts.yaml");

        assertThat(output).contains("SUCCESS");
    }

    @Test
    void rulesPassTheirUnitTests() throws Exception {
        String output = run("test", "rules", "alerts_test.yaml", "alerts_weekly_test.yaml");

        assertThat(output).contains("SUCCESS");
    }

    private static String run(String... args) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(Stream.concat(Stream.of(promtool.toString()), Stream.of(args)).toList())
                .directory(OPS.toFile()).redirectErrorStream(true).start();
        process.getOutputStream().close();
        // The weekly tests evaluate weeks of samples: about 12 s of processor time. How long that takes in wall-clock
        // time depends on what else the machine runs, so the wait is bounded by the processor time promtool used,
        // and by a wall-clock guard only for a promtool that hangs without using it.
        long guard = System.nanoTime() + HANG_GUARD.toNanos();
        Duration used = Duration.ZERO;
        while (!process.waitFor(100, TimeUnit.MILLISECONDS) && used.compareTo(CPU_BUDGET) <= 0
                && System.nanoTime() < guard) {
            used = process.toHandle().info().totalCpuDuration().orElse(Duration.ZERO);
        }
        boolean exited = !process.isAlive();
        if (!exited) {
            process.destroyForcibly();
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(exited).as("promtool %s finished within %s of processor time (used %s)", List.of(args),
                CPU_BUDGET, used).isTrue();
        assertThat(process.exitValue()).as("promtool %s:%n%s", List.of(args), output).isZero();
        return output;
    }
}
