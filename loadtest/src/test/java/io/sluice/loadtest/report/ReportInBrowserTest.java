package io.sluice.loadtest.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The report opens in a real browser: headless Chromium renders it to a screenshot. Skipped where Chromium is
 * missing, except under {@code CI=true}, where a missing browser fails the build.
 */
class ReportInBrowserTest {

    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");

    @TempDir
    Path profile;

    @Test
    void rendersInHeadlessChromium() throws Exception {
        boolean ci = "true".equals(System.getenv("CI"));
        if (!Files.isExecutable(CHROMIUM)) {
            assertThat(ci).as("chromium is installed under CI (.ci/run)").isFalse();
            assumeTrue(false, "chromium not installed");
        }
        Path html = Report.write(profile.resolve("report"), ReportTest.run(), java.util.OptionalDouble.of(30),
                java.util.Map.of(), List.of());
        Path screenshot = profile.resolve("report.png");
        List<String> command = new ArrayList<>(List.of(CHROMIUM.toString(), "--headless", "--no-sandbox",
                "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--user-data-dir=" + profile.resolve("profile"),
                "--screenshot=" + screenshot, "--window-size=1200,900",
                html.toUri().toString()));
        Process chromium = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(profile.resolve("chromium.log").toFile()).start();
        boolean ended = chromium.waitFor(120, TimeUnit.SECONDS);
        if (!ended) {
            chromium.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }

        assertThat(ended).as("chromium finished; its log: %s", Files.readString(profile.resolve("chromium.log")))
                .isTrue();
        assertThat(screenshot).isNotEmptyFile();
        // The page's text, tables and first chart: far from a blank page.
        ReportTest.assertIsAPicture(Files.readAllBytes(screenshot), 1200, 900);
        assertThat(Files.size(screenshot)).isGreaterThan(20_000);
    }
}
