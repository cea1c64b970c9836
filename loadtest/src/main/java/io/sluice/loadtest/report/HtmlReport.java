package io.sluice.loadtest.report;

import io.sluice.loadtest.cli.HostPorts;
import io.sluice.loadtest.load.LoadResult;
import io.sluice.loadtest.load.StageLatency;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The report page: key figures, the charts embedded as PNG data, replies and latency tables. No external links. */
final class HtmlReport {

    /** The pages' style sheet: tables of figures, charts at full width, notes in bold. */
    static final String STYLE = "<style>body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:"
            + "collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .7em;text-align:right}"
            + "th:first-child,td:first-child{text-align:left}img{max-width:100%;display:block;"
            + "margin:1em 0}.note{font-size:1.1em;font-weight:bold}</style>\n";

    private HtmlReport() {
    }

    /**
     * @param charts title and PNG of each chart, in order
     * @param notes  lines shown above the figures, such as the demo's verdict
     */
    static String render(LoadResult result, Map<String, byte[]> charts, List<String> notes) {
        StringBuilder html = new StringBuilder(64 * 1024);
        double seconds = result.elapsed().toNanos() / 1e9;
        html.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n")
                .append("<title>Sluice load test ").append(escape(result.run())).append("</title>\n")
                .append(STYLE).append("</head><body>\n");
        html.append("<h1>Sluice load test</h1>\n<p>Run <code>").append(escape(result.run())).append("</code>, ")
                .append(escape(result.plan().arrivals())).append(", against <code>")
                .append(escape(HostPorts.format(result.plan().target()))).append("</code>, started ")
                .append(escape(result.startedAt().toString()))
                .append(String.format(Locale.ROOT, ", %.1f s.</p>%n", seconds));
        for (String note : notes) {
            html.append("<p class=\"note\">").append(escape(note)).append("</p>\n");
        }
        html.append("<table><tr><th>messages</th><th>count</th><th>mean rate (/s)</th></tr>\n");
        result.messageRows().forEach((name, count) -> html.append(String.format(Locale.ROOT,
                "<tr><td>%s</td><td>%d</td><td>%.1f</td></tr>%n", name, count, count / seconds)));
        html.append("</table>\n");
        result.check().ifPresent(c -> html.append("<p>Checksums: ").append(c.clean() ? "clean" : "FAILED")
                .append(String.format(Locale.ROOT,
                        " &ndash; %d admitted, %d received, %d lost, %d duplicated, %d corrupt.</p>%n",
                        c.admitted(), c.received(), c.lost(), c.duplicates(), c.corrupt())));
        appendCharts(html, charts);
        html.append("<h2>Reply latency by stage (ms)</h2>\n<table><tr><th>stage</th><th>replies</th><th>p50</th>"
                + "<th>p90</th><th>p99</th><th>p99.9</th><th>max</th></tr>\n");
        for (StageLatency l : result.latencyTable()) {
            html.append(String.format(Locale.ROOT,
                    "<tr><td>%s</td><td>%d</td><td>%.2f</td><td>%.2f</td><td>%.2f</td><td>%.2f</td><td>%.2f</td>"
                            + "</tr>%n",
                    l.label(), l.count(), l.p50(), l.p90(), l.p99(), l.p999(), l.max()));
        }
        html.append("</table>\n<h2>Replies by stage and code</h2>\n<table><tr><th>stage and code</th><th>count</th>"
                + "<th>first text seen</th></tr>\n");
        result.replies().forEach((key, count) -> html.append("<tr><td>").append(escape(key)).append("</td><td>")
                .append(count).append("</td><td style=\"text-align:left\">")
                .append(escape(result.examples().getOrDefault(key, ""))).append("</td></tr>\n"));
        html.append("</table>\n</body></html>\n");
        return html.toString();
    }

    /** Each chart under its title, as PNG data in the page; a sentence where none could be drawn. */
    static void appendCharts(StringBuilder html, Map<String, byte[]> charts) {
        if (charts.isEmpty()) {
            html.append("<p>Charts could not be drawn on this machine (see the command's output).</p>\n");
        }
        charts.forEach((title, png) -> html.append("<h2>").append(escape(title)).append("</h2>\n<img alt=\"")
                .append(escape(title)).append("\" src=\"data:image/png;base64,")
                .append(Base64.getEncoder().encodeToString(png)).append("\">\n"));
    }

    static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}
