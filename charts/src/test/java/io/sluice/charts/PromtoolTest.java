package io.sluice.charts;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
        // The weekly refusal test evaluates a week of samples: seconds on a busy machine.
        boolean exited = process.waitFor(60, TimeUnit.SECONDS);
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!exited) {
            process.destroyForcibly();
        }
        assertThat(exited).as("promtool %s finished", List.of(args)).isTrue();
        assertThat(process.exitValue()).as("promtool %s:%n%s", List.of(args), output).isZero();
        return output;
    }
}
