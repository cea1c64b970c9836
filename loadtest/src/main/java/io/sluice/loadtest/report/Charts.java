package io.sluice.loadtest.report;

import io.sluice.loadtest.load.LoadResult;
import io.sluice.loadtest.load.Second;
import io.sluice.loadtest.load.StageLatency;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.BitmapEncoder.BitmapFormat;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The report's charts, drawn with XChart and encoded as PNG. */
final class Charts {

    static final int WIDTH = 1100;
    static final int HEIGHT = 460;

    private Charts() {
    }

    /** Offered, admitted, refused and backend-received messages per second over the run; the limit if known. */
    static byte[] rates(LoadResult result, OptionalDouble limit) throws IOException {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT)
                .title("Messages per second").xAxisTitle("time (s)").yAxisTitle("messages/s").build();
        style(chart.getStyler());
        List<Second> seconds = whole(result.seconds());
        double[] x = new double[seconds.size()];
        double[] offered = new double[x.length];
        double[] admitted = new double[x.length];
        double[] refused = new double[x.length];
        double[] backend = new double[x.length];
        double at = 0;
        for (int i = 0; i < x.length; i++) {
            Second s = seconds.get(i);
            at += s.seconds();
            x[i] = at;
            offered[i] = s.rate(s.delta().messagesOffered());
            admitted[i] = s.rate(s.delta().admitted());
            refused[i] = s.rate(s.delta().refused());
            backend[i] = s.rate(Math.max(0, s.backendReceived()));
        }
        if (x.length == 0) {
            x = new double[] {0};
            offered = admitted = refused = backend = new double[] {0};
        }
        line(chart, "offered", x, offered);
        line(chart, "admitted", x, admitted);
        line(chart, "refused", x, refused);
        if (result.backend().isPresent()) {
            line(chart, "backend received", x, backend);
        }
        if (limit.isPresent()) {
            XYSeries series = line(chart, "configured limit", new double[] {x[0], x[x.length - 1]},
                    new double[] {limit.getAsDouble(), limit.getAsDouble()});
            series.setLineStyle(new java.awt.BasicStroke(1.5f, java.awt.BasicStroke.CAP_BUTT,
                    java.awt.BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
        }
        return BitmapEncoder.getBitmapBytes(chart, BitmapFormat.PNG);
    }

    /** Reply latency percentiles of each stage over the whole run. */
    static byte[] latency(LoadResult result) throws IOException {
        CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT)
                .title("Reply latency by stage").xAxisTitle("stage").yAxisTitle("ms").build();
        style(chart.getStyler());
        List<String> stages = new ArrayList<>();
        List<Double> p50 = new ArrayList<>();
        List<Double> p90 = new ArrayList<>();
        List<Double> p99 = new ArrayList<>();
        List<Double> p999 = new ArrayList<>();
        for (StageLatency l : result.latencyTable()) {
            stages.add(l.label());
            p50.add(positive(l.p50()));
            p90.add(positive(l.p90()));
            p99.add(positive(l.p99()));
            p999.add(positive(l.p999()));
        }
        if (stages.isEmpty()) {
            stages.add("none");
            p50.add(positive(0));
            p90.add(positive(0));
            p99.add(positive(0));
            p999.add(positive(0));
        }
        chart.addSeries("p50", stages, p50);
        chart.addSeries("p90", stages, p90);
        chart.addSeries("p99", stages, p99);
        chart.addSeries("p99.9", stages, p999);
        return BitmapEncoder.getBitmapBytes(chart, BitmapFormat.PNG);
    }

    /** Reply latency of all stages together, per second. */
    static byte[] latencyOverTime(LoadResult result) throws IOException {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT)
                .title("Reply latency per second, all stages").xAxisTitle("time (s)").yAxisTitle("ms").build();
        style(chart.getStyler());
        List<Second> seconds = whole(result.seconds());
        double[] x = new double[Math.max(1, seconds.size())];
        double[] p50 = new double[x.length];
        double[] p99 = new double[x.length];
        double at = 0;
        for (int i = 0; i < seconds.size(); i++) {
            at += seconds.get(i).seconds();
            x[i] = at;
            p50[i] = seconds.get(i).p50Millis();
            p99[i] = seconds.get(i).p99Millis();
        }
        line(chart, "p50", x, p50);
        line(chart, "p99", x, p99);
        return BitmapEncoder.getBitmapBytes(chart, BitmapFormat.PNG);
    }

    /**
     * The rows worth a point: the last row is whatever was left of a second when the run ended, and a rate over a
     * sliver of a second is noise.
     */
    private static List<Second> whole(List<Second> seconds) {
        List<Second> kept = new ArrayList<>(seconds);
        if (!kept.isEmpty() && kept.get(kept.size() - 1).seconds() < 0.5) {
            kept.remove(kept.size() - 1);
        }
        return kept;
    }

    static XYSeries line(XYChart chart, String name, double[] x, double[] y) {
        XYSeries series = chart.addSeries(name, x, y);
        series.setMarker(SeriesMarkers.NONE);
        return series;
    }

    static void style(Styler styler) {
        styler.setLegendPosition(Styler.LegendPosition.InsideNE);
        styler.setChartBackgroundColor(java.awt.Color.WHITE);
        styler.setAntiAlias(true);
    }

    /** Latency recorded as zero (under a microsecond) is drawn as a sliver, so that the bar is there. */
    private static double positive(double millis) {
        return Math.max(0.001, millis);
    }
}
