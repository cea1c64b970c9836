package io.sluice.loadtest.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** A page comparing runs of one scenario: notes, tables of figures and charts, with no external links. */
public final class ScenarioPage {

    /** A table of figures: a header row, then rows of as many cells. */
    public record Table(String caption, List<String> header, List<List<String>> rows) {
        public Table {
            header = List.copyOf(header);
            rows = rows.stream().map(List::copyOf).toList();
            for (List<String> row : rows) {
                if (row.size() != header.size()) {
                    throw new IllegalArgumentException("row " + row + ": " + row.size() + " cells (expected: "
                            + header.size() + ", as the header)");
                }
            }
        }
    }

    private ScenarioPage() {
    }

    /**
     * Writes {@code report.html} into {@code dir}, and each chart beside it as a PNG named after its title.
     *
     * @param charts titled charts, drawn only here so that a JDK that cannot draw still gets the page
     * @return the page's path
     */
    public static Path write(Path dir, String title, List<String> notes, List<Table> tables,
            Report.ChartDrawing charts) throws IOException {
        StringBuilder html = new StringBuilder(256 * 1024);
        html.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>")
                .append(HtmlReport.escape(title)).append("</title>\n").append(HtmlReport.STYLE)
                .append("</head><body>\n<h1>").append(HtmlReport.escape(title)).append("</h1>\n");
        for (String note : notes) {
            html.append("<p class=\"note\">").append(HtmlReport.escape(note)).append("</p>\n");
        }
        for (Table table : tables) {
            html.append("<h2>").append(HtmlReport.escape(table.caption())).append("</h2>\n<table><tr>");
            table.header().forEach(cell -> html.append("<th>").append(HtmlReport.escape(cell)).append("</th>"));
            html.append("</tr>\n");
            for (List<String> row : table.rows()) {
                html.append("<tr>");
                row.forEach(cell -> html.append("<td>").append(HtmlReport.escape(cell)).append("</td>"));
                html.append("</tr>\n");
            }
            html.append("</table>\n");
        }
        Map<String, byte[]> drawn = Report.drawn(charts);
        HtmlReport.appendCharts(html, drawn);
        for (Map.Entry<String, byte[]> chart : drawn.entrySet()) {
            Files.write(dir.resolve(fileName(chart.getKey())), chart.getValue());
        }
        html.append("</body></html>\n");
        Path page = dir.resolve(Report.HTML);
        Files.writeString(page, html, StandardCharsets.UTF_8);
        return page;
    }

    /** {@code "Backend p99 (ms), per second"} is {@code backend-p99-ms-per-second.png}. */
    static String fileName(String title) {
        String slug = title.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-|-$", "");
        return (slug.isEmpty() ? "chart" : slug) + ".png";
    }
}
