package io.sluice.loadtest.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.sluice.loadtest.demo.AdaptiveScenario.Run;
import io.sluice.loadtest.demo.AdaptiveScenario.Sample;
import io.sluice.loadtest.demo.AdaptiveScenario.Settings;
import io.sluice.loadtest.demo.DemoConfig.Admission;
import io.sluice.loadtest.load.DeliveryResult;
import io.sluice.loadtest.report.LineChart;
import io.sluice.loadtest.report.ScenarioPage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What the adaptive scenario shows, per run and plateau: the backend's accepted rate against its capacity, and its
 * worst p99 final-dot latency from {@link Settings#settleSeconds} after the plateau's start against its unloaded p99
 * (the median of the calibration's seconds). It passes when no message was lost in either run and, in the low
 * plateau, the adaptive run kept the backend busy ({@link #MIN_ACCEPTED_SHARE} of its capacity) with a worst p99
 * under half the static run's: the limit followed the backend down, and did not starve it.
 */
record AdaptiveVerdict(Settings settings, List<RunFigures> runs) {

    /** Targets of the acceptance, shown beside the figures. */
    static final double MIN_ACCEPTED_SHARE = 0.9;
    static final double MAX_LATENCY_GROWTH = 2.0;

    /** One plateau of one run. */
    record PlateauFigures(int capacity, double acceptedShare, double worstP99Millis, double latencyGrowth,
            OptionalMean limit) {
    }

    /** A mean over the seconds that had a value. */
    record OptionalMean(double sum, int count) {
        String format() {
            return count == 0 ? "-" : String.format(Locale.ROOT, "%.1f", sum / count);
        }
    }

    /** One run's figures. */
    record RunFigures(Run run, double unloadedP99Millis, List<PlateauFigures> plateaus) {
        boolean clean() {
            return run.load().check().map(c -> c.clean()).orElse(false);
        }
    }

    static AdaptiveVerdict of(Settings settings, List<Run> runs) {
        List<RunFigures> figures = new ArrayList<>();
        for (Run run : runs) {
            double unloaded = median(run.samples().stream()
                    .filter(s -> s.at() > 1 && s.at() <= settings.calibrationSeconds() && s.accepted() > 0)
                    .mapToDouble(Sample::p99Millis).toArray());
            List<PlateauFigures> plateaus = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                plateaus.add(plateau(settings, run, i, unloaded));
            }
            figures.add(new RunFigures(run, unloaded, plateaus));
        }
        return new AdaptiveVerdict(settings, figures);
    }

    private static PlateauFigures plateau(Settings settings, Run run, int index, double unloadedP99) {
        int capacity = settings.capacityOf(index);
        double start = settings.plateauStart(index);
        double end = start + settings.plateauSeconds();
        long accepted = 0;
        int seconds = 0;
        double worst = 0;
        double limitSum = 0;
        int limits = 0;
        for (Sample s : run.samples()) {
            // A sample covers the second before it.
            if (s.at() <= start + 1 || s.at() > end) {
                continue;
            }
            accepted += s.accepted();
            seconds++;
            if (s.at() > start + settings.settleSeconds()) {
                worst = Math.max(worst, s.p99Millis());
            }
            if (s.limit().isPresent()) {
                limitSum += s.limit().getAsDouble();
                limits++;
            }
        }
        double share = seconds == 0 ? 0 : accepted / ((double) capacity * seconds);
        double growth = unloadedP99 > 0 ? worst / unloadedP99 : Double.NaN;
        return new PlateauFigures(capacity, share, worst, growth, new OptionalMean(limitSum, limits));
    }

    private static double median(double[] values) {
        if (values.length == 0) {
            return 0;
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private RunFigures figures(Admission admission) {
        return runs.stream().filter(r -> r.run().admission() == admission).findFirst().orElseThrow();
    }

    boolean passed() {
        RunFigures adaptive = figures(Admission.ADAPTIVE);
        RunFigures fixed = figures(Admission.STATIC);
        PlateauFigures low = adaptive.plateaus().get(1);
        return adaptive.clean() && fixed.clean() && low.acceptedShare() >= MIN_ACCEPTED_SHARE
                && low.worstP99Millis() * 2 < fixed.plateaus().get(1).worstP99Millis();
    }

    /** The verdict in sentences, for the terminal and the page. */
    List<String> lines() {
        List<String> lines = new ArrayList<>();
        lines.add(String.format(Locale.ROOT, "Backend capacity %d -> %d -> %d messages/s, %.0f s plateaus, %.1f x"
                        + " overload (%.0f sessions/s) of senders retrying at %s", settings.high(), settings.low(),
                settings.high(), (double) settings.plateauSeconds(), settings.overload(), settings.offered(),
                settings.retry()));
        for (RunFigures run : runs) {
            PlateauFigures low = run.plateaus().get(1);
            lines.add(String.format(Locale.ROOT, "%s: in the low plateau the backend took %.0f%% of its capacity,"
                    + " its worst p99 %.0f ms = %.1f x unloaded (%.0f ms); checksums %s",
                    run.run().admission().label(), low.acceptedShare() * 100, low.worstP99Millis(),
                    low.latencyGrowth(), run.unloadedP99Millis(), run.clean() ? "clean" : "FAILED"));
        }
        lines.add(passed() ? "demo: PASSED (the adaptive limit kept the backend's latency bounded where the static"
                + " limit let its queue grow)" : "demo: FAILED");
        return lines;
    }

    List<ScenarioPage.Table> tables() {
        List<List<String>> plateauRows = new ArrayList<>();
        List<List<String>> deliveryRows = new ArrayList<>();
        String[] names = {"high", "low", "high again"};
        for (RunFigures run : runs) {
            for (int i = 0; i < 3; i++) {
                PlateauFigures p = run.plateaus().get(i);
                plateauRows.add(List.of(run.run().admission().label(), names[i] + " (" + p.capacity() + "/s)",
                        percent(p.acceptedShare()), String.format(Locale.ROOT, "%.0f", p.worstP99Millis()),
                        String.format(Locale.ROOT, "%.1f", p.latencyGrowth()), p.limit().format()));
            }
            DeliveryResult d = run.run().load().deliveries();
            deliveryRows.add(List.of(run.run().admission().label(), Long.toString(d.firstAttempt()),
                    Long.toString(d.afterAnyRetry()), Long.toString(d.givenUp()), Long.toString(d.stillQueued()),
                    String.format(Locale.ROOT, "%.0f", d.toAcceptance().p50()),
                    String.format(Locale.ROOT, "%.0f", d.toAcceptance().p95())));
        }
        return List.of(
                new ScenarioPage.Table(String.format(Locale.ROOT, "Per plateau (targets for adaptive: >= %.0f%% of"
                        + " capacity, p99 <= %.0f x unloaded from %d s after each step)", MIN_ACCEPTED_SHARE * 100,
                        MAX_LATENCY_GROWTH, settings.settleSeconds()),
                        List.of("admission", "plateau", "backend accepted / capacity", "worst p99 (ms)",
                                "x unloaded p99", "mean adaptive limit"), plateauRows),
                new ScenarioPage.Table("Messages across retries (delays in the senders' time)",
                        List.of("admission", "accepted at once", "accepted after retries", "given up",
                                "still queued", "deferral to acceptance p50 (s)", "p95 (s)"), deliveryRows));
    }

    String table() {
        StringBuilder out = new StringBuilder();
        for (ScenarioPage.Table table : tables()) {
            int[] widths = new int[table.header().size()];
            List<List<String>> all = new ArrayList<>(List.of(table.header()));
            all.addAll(table.rows());
            for (List<String> row : all) {
                for (int i = 0; i < widths.length; i++) {
                    widths[i] = Math.max(widths[i], row.get(i).length());
                }
            }
            out.append('\n').append(table.caption()).append('\n');
            for (List<String> row : all) {
                StringBuilder line = new StringBuilder();
                for (int i = 0; i < widths.length; i++) {
                    line.append(String.format(Locale.ROOT, "%-" + (widths[i] + 2) + "s", row.get(i)));
                }
                out.append(line.toString().stripTrailing()).append('\n');
            }
        }
        out.append('\n');
        lines().forEach(line -> out.append(line).append('\n'));
        return out.toString();
    }

    private static String percent(double share) {
        return String.format(Locale.ROOT, "%.0f%%", share * 100);
    }

    /** The page's charts: each run's rates and limit, then both runs' backend latency. */
    Map<String, byte[]> charts() throws IOException {
        Map<String, byte[]> charts = new LinkedHashMap<>();
        List<LineChart.Line> latency = new ArrayList<>();
        for (RunFigures run : runs) {
            List<Sample> samples = run.run().samples();
            double[] at = samples.stream().mapToDouble(Sample::at).toArray();
            List<LineChart.Line> lines = new ArrayList<>(List.of(
                    new LineChart.Line("backend capacity", at,
                            samples.stream().mapToDouble(Sample::capacity).toArray()),
                    new LineChart.Line("backend accepted", at,
                            samples.stream().mapToDouble(Sample::accepted).toArray())));
            List<Sample> limited = samples.stream().filter(s -> s.limit().isPresent()).toList();
            if (!limited.isEmpty()) {
                double[] limitAt = limited.stream().mapToDouble(Sample::at).toArray();
                lines.add(new LineChart.Line("adaptive limit (in flight)", limitAt,
                        limited.stream().mapToDouble(s -> s.limit().getAsDouble()).toArray(), true));
                lines.add(new LineChart.Line("in flight", limitAt,
                        limited.stream().mapToDouble(s -> s.inflight().orElse(0)).toArray(), true));
            }
            String title = run.run().admission() == Admission.ADAPTIVE
                    ? "Adaptive admission: backend capacity, accepted rate and the limit"
                    : String.format(Locale.ROOT, "Static limit of %d/s: backend capacity and accepted rate",
                            settings.high());
            charts.put(title, LineChart.png(title, "messages/s", "transactions", lines));
            latency.add(new LineChart.Line(run.run().admission().label(), at,
                    samples.stream().mapToDouble(Sample::p99Millis).toArray()));
        }
        String title = "Backend p99 latency of the reply to the final dot, per second";
        charts.put(title, LineChart.png(title, "ms", "", latency));
        return charts;
    }

    Map<String, Object> json() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("passed", passed());
        for (RunFigures run : runs) {
            Map<String, Object> figures = new LinkedHashMap<>();
            figures.put("unloaded_p99_ms", run.unloadedP99Millis());
            figures.put("clean", run.clean());
            List<Map<String, Object>> plateaus = new ArrayList<>();
            for (PlateauFigures p : run.plateaus()) {
                Map<String, Object> plateau = new LinkedHashMap<>();
                plateau.put("capacity_per_second", p.capacity());
                plateau.put("accepted_share", p.acceptedShare());
                plateau.put("worst_p99_ms", p.worstP99Millis());
                plateau.put("latency_growth", p.latencyGrowth());
                plateaus.add(plateau);
            }
            figures.put("plateaus", plateaus);
            DeliveryResult d = run.run().load().deliveries();
            figures.put("deferral_to_acceptance_p95_s", d.toAcceptance().p95());
            figures.put("given_up", d.givenUp());
            json.put(run.run().admission().label(), figures);
        }
        return json;
    }

    /** Writes the page and {@code scenario.json}; returns the page's path. */
    Path write(Path dir) throws IOException {
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(dir.resolve("scenario.json")
                .toFile(), json());
        return ScenarioPage.write(dir, "Sluice demo: adaptive admission against a static limit", lines(), tables(),
                this::charts);
    }
}
