package io.sluice.loadtest.report;

import java.io.IOException;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.BitmapEncoder.BitmapFormat;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;

/** A chart of lines over time, as PNG, in the style of the load report's charts. */
public final class LineChart {

    /**
     * One line of the chart.
     *
     * @param secondAxis drawn against the right-hand axis, for a quantity of another unit
     */
    public record Line(String name, double[] x, double[] y, boolean secondAxis) {
        public Line {
            if (x.length != y.length) {
                throw new IllegalArgumentException("x and y: " + x.length + " and " + y.length
                        + " points (expected: as many of each)");
            }
            x = x.clone();
            y = y.clone();
        }

        public Line(String name, double[] x, double[] y) {
            this(name, x, y, false);
        }
    }

    private LineChart() {
    }

    /** Lines without a point are left out; a chart without any line gets one flat line at zero. */
    public static byte[] png(String title, String yAxis, String secondYAxis, List<Line> lines) throws IOException {
        XYChart chart = new XYChartBuilder().width(Charts.WIDTH).height(Charts.HEIGHT)
                .title(title).xAxisTitle("time (s)").yAxisTitle(yAxis).build();
        Charts.style(chart.getStyler());
        boolean any = false;
        for (Line line : lines) {
            if (line.x().length == 0) {
                continue;
            }
            any = true;
            Charts.line(chart, line.name(), line.x(), line.y()).setYAxisGroup(line.secondAxis() ? 1 : 0);
            if (line.secondAxis()) {
                chart.setYAxisGroupTitle(1, secondYAxis);
                chart.getStyler().setYAxisGroupPosition(1, Styler.YAxisPosition.Right);
            }
        }
        if (!any) {
            Charts.line(chart, "no data", new double[] {0}, new double[] {0});
        }
        return BitmapEncoder.getBitmapBytes(chart, BitmapFormat.PNG);
    }
}
