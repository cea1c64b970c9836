package io.sluice.loadtest.report;

import io.sluice.loadtest.load.LoadResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

/** Writes everything about a run into one directory: JSON and CSV for scripts, PNG charts and an HTML page. */
public final class Report {

    public static final String HTML = "report.html";
    public static final String RATES_PNG = "rates.png";
    public static final String LATENCY_PNG = "latency.png";
    public static final String LATENCY_TIME_PNG = "latency-over-time.png";

    private Report() {
    }

    /**
     * @param limit the configured rate limit to draw on the rates chart, if there is one
     * @param extra more top-level fields for {@code summary.json}
     * @param notes lines for the top of the HTML page
     * @return the HTML page's path
     */
    public static Path write(Path dir, LoadResult result, OptionalDouble limit, Map<String, Object> extra,
            List<String> notes) throws IOException {
        ResultFiles.write(dir, result, extra);
        Map<String, byte[]> charts = drawn(() -> {
            Map<String, byte[]> drawn = new LinkedHashMap<>();
            drawn.put("Offered, admitted, refused and backend-received rate", Charts.rates(result, limit));
            drawn.put("Reply latency percentiles by stage", Charts.latency(result));
            drawn.put("Reply latency over time", Charts.latencyOverTime(result));
            return drawn;
        });
        String[] files = {RATES_PNG, LATENCY_PNG, LATENCY_TIME_PNG};
        int i = 0;
        for (byte[] png : charts.values()) {
            Files.write(dir.resolve(files[i++]), png);
        }
        Path html = dir.resolve(HTML);
        Files.writeString(html, HtmlReport.render(result, charts, notes), StandardCharsets.UTF_8);
        return html;
    }

    /** Draws charts, titled, in order. */
    @FunctionalInterface
    public interface ChartDrawing {
        Map<String, byte[]> draw() throws IOException;
    }

    /** The charts drawn, or none where this JDK cannot draw (no fonts or AWT); the numbers still count. */
    static Map<String, byte[]> drawn(ChartDrawing drawing) throws IOException {
        try {
            return drawing.draw();
        } catch (RuntimeException | Error e) {
            if (e instanceof VirtualMachineError) {
                throw e;
            }
            // "no fonts found" is an Error
            System.err.println("report: charts not drawn: " + e);
            return new LinkedHashMap<>();
        }
    }
}
