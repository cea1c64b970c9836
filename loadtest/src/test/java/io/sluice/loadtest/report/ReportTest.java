package io.sluice.loadtest.report;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.loadtest.load.LoadGenerator;
import io.sluice.loadtest.load.LoadPlan;
import io.sluice.loadtest.load.LoadResult;
import io.sluice.loadtest.load.Schedule;
import io.sluice.loadtest.sink.Sink;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real run's report: every file written, the PNGs valid images, the HTML self-contained. */
class ReportTest {

    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

    @TempDir
    static Path dir;
    static LoadResult result;
    static Path html;

    @BeforeAll
    static void runAndReport() throws Exception {
        result = run();
        html = Report.write(dir, result, OptionalDouble.of(30), Map.of("demo", Map.of("passed", true)),
                List.of("a note for the top"));
    }

    /** A short real run against a sink: 100 sessions over 3 s, in three steps. */
    static LoadResult run() throws Exception {
        System.setProperty("java.awt.headless", "true");
        try (Sink sink = Sink.onLoopback()) {
            LoadPlan plan = LoadPlan.openLoop(sink.address(), Schedule.parse("20/s:1s,60/s:1s,20/s:1s"));
            return new LoadGenerator(plan, Optional.of(sink), s -> { }).run();
        }
    }

    /** A decoded image of the given size whose pixels are not all one colour. */
    static void assertIsAPicture(byte[] png, int width, int height) throws Exception {
        assertThat(png).startsWith(PNG_SIGNATURE);
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
        assertThat(image).isNotNull();
        assertThat(image.getWidth()).isEqualTo(width);
        assertThat(image.getHeight()).isEqualTo(height);
        java.util.Set<Integer> colours = new java.util.HashSet<>();
        for (int x = 0; x < width; x += 7) {
            for (int y = 0; y < height; y += 7) {
                colours.add(image.getRGB(x, y));
            }
        }
        assertThat(colours.size()).as("distinct colours").isGreaterThan(3);
    }

    @Test
    void writesEveryFile() {
        assertThat(html).isEqualTo(dir.resolve(Report.HTML));
        for (String name : List.of(Report.HTML, Report.RATES_PNG, Report.LATENCY_PNG, Report.LATENCY_TIME_PNG,
                ResultFiles.SUMMARY, ResultFiles.TIME_SERIES, ResultFiles.REPLIES, ResultFiles.LATENCY)) {
            assertThat(dir.resolve(name)).isNotEmptyFile();
        }
    }

    @Test
    void drawsTheChartsAsPngs() throws Exception {
        for (String name : List.of(Report.RATES_PNG, Report.LATENCY_PNG, Report.LATENCY_TIME_PNG)) {
            assertIsAPicture(Files.readAllBytes(dir.resolve(name)), Charts.WIDTH, Charts.HEIGHT);
        }
    }

    @Test
    void embedsTheChartsAndLinksToNothingOutside() throws Exception {
        String page = Files.readString(html);

        assertThat(page).startsWith("<!DOCTYPE html>").contains("a note for the top", "Run <code>" + result.run())
                .contains("backend received");
        assertThat(page.split("src=\"data:image/png;base64,", -1)).hasSize(4);
        assertThat(page).doesNotContain("http://", "https://", "src=\"/", "href=");
    }

    @Test
    void summarizesForScripts() throws Exception {
        JsonNode json = new ObjectMapper().readTree(dir.resolve(ResultFiles.SUMMARY).toFile());

        assertThat(json.get("run").asText()).isEqualTo(result.run());
        assertThat(json.at("/totals/offered").asLong()).isEqualTo(100);
        assertThat(json.at("/totals/admitted").asLong()).isEqualTo(100);
        assertThat(json.at("/totals/backend_received").asLong()).isEqualTo(100);
        assertThat(json.at("/replies/dot 250").asLong()).isEqualTo(100);
        assertThat(json.at("/latency_ms/mail/p99").asDouble()).isPositive();
        assertThat(json.at("/check/lost").asLong()).isZero();
        assertThat(json.at("/demo/passed").asBoolean()).isTrue();
    }

    @Test
    void writesTheTimeSeriesAsCsv() throws Exception {
        List<String> lines = Files.readAllLines(dir.resolve(ResultFiles.TIME_SERIES));

        assertThat(lines.get(0)).startsWith("second,seconds,scheduled_rate,offered,");
        assertThat(lines).hasSize(result.seconds().size() + 1);
        long offered = lines.stream().skip(1).mapToLong(l -> Long.parseLong(l.split(",")[3])).sum();
        assertThat(offered).isEqualTo(100);
        assertThat(Files.readAllLines(dir.resolve(ResultFiles.REPLIES))).contains("stage,code,count", "dot,250,100");
    }
}
