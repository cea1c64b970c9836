package io.sluice.loadtest.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.sluice.loadtest.cli.HostPorts;
import io.sluice.loadtest.load.Counts;
import io.sluice.loadtest.load.DeliveryResult;
import io.sluice.loadtest.load.LoadPlan;
import io.sluice.loadtest.load.LoadResult;
import io.sluice.loadtest.load.Second;
import io.sluice.loadtest.load.StageLatency;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** A run's results for scripts: {@code summary.json} and CSV files of the time series, replies and latency. */
public final class ResultFiles {

    public static final String SUMMARY = "summary.json";
    public static final String TIME_SERIES = "timeseries.csv";
    public static final String REPLIES = "replies.csv";
    public static final String LATENCY = "latency.csv";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ResultFiles() {
    }

    /**
     * Writes every file into {@code dir} (created if needed).
     *
     * @param extra more top-level JSON fields, such as the demo's verdict
     */
    public static void write(Path dir, LoadResult result, Map<String, Object> extra) throws IOException {
        Files.createDirectories(dir);
        JSON.writeValue(dir.resolve(SUMMARY).toFile(), summary(result, extra));
        try (Writer csv = Files.newBufferedWriter(dir.resolve(TIME_SERIES), StandardCharsets.UTF_8)) {
            csv.write("second,seconds,scheduled_rate,offered,sessions_started,admitted,tempfailed,rejected,errors,"
                    + "backend_received,open_sessions,reply_p50_ms,reply_p99_ms\n");
            for (Second s : result.seconds()) {
                Counts d = s.delta();
                csv.write(String.format(Locale.ROOT, "%d,%.3f,%.1f,%d,%d,%d,%d,%d,%d,%d,%d,%.3f,%.3f%n", s.second(),
                        s.seconds(), s.scheduledRate(), d.messagesOffered(), d.sessionsStarted(), d.admitted(),
                        d.tempfailed(), d.rejected(), d.errors(), s.backendReceived(), s.total().openSessions(),
                        s.p50Millis(), s.p99Millis()));
            }
        }
        try (Writer csv = Files.newBufferedWriter(dir.resolve(REPLIES), StandardCharsets.UTF_8)) {
            csv.write("stage,code,count\n");
            for (Map.Entry<String, Long> e : result.replies().entrySet()) {
                csv.write(e.getKey().replace(' ', ',') + "," + e.getValue() + "\n");
            }
        }
        try (Writer csv = Files.newBufferedWriter(dir.resolve(LATENCY), StandardCharsets.UTF_8)) {
            csv.write("stage,count,p50_ms,p90_ms,p99_ms,p999_ms,max_ms\n");
            for (StageLatency l : result.latencyTable()) {
                csv.write(String.format(Locale.ROOT, "%s,%d,%.3f,%.3f,%.3f,%.3f,%.3f%n", l.label(), l.count(),
                        l.p50(), l.p90(), l.p99(), l.p999(), l.max()));
            }
        }
    }

    static Map<String, Object> summary(LoadResult result, Map<String, Object> extra) {
        LoadPlan plan = result.plan();
        double seconds = result.elapsed().toNanos() / 1e9;
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("run", result.run());
        json.put("started_at", result.startedAt().toString());
        json.put("elapsed_seconds", seconds);
        json.put("target", HostPorts.format(plan.target()));
        Map<String, Object> planJson = new LinkedHashMap<>();
        planJson.put("arrivals", plan.arrivals());
        planJson.put("messages_per_session", plan.messagesPerSession());
        planJson.put("recipients_per_message", plan.recipientsPerMessage());
        planJson.put("sizes", plan.sizes().toString());
        planJson.put("sources", plan.sources().map(Object::toString).orElse(null));
        planJson.put("proxy_protocol", plan.proxyHeader().map(h -> "v" + h.version() + " " + h.clients()).orElse(null));
        planJson.put("retry", plan.retry().map(Object::toString).orElse(null));
        planJson.put("networks", plan.networks().map(Object::toString).orElse(null));
        planJson.put("max_sessions", plan.maxSessions());
        planJson.put("grace_seconds", plan.grace().toMillis() / 1000.0);
        planJson.put("reply_timeout_seconds", plan.replyTimeout().toMillis() / 1000.0);
        json.put("plan", planJson);
        Counts t = result.totals();
        Map<String, Object> totals = new LinkedHashMap<>();
        totals.put("sessions_started", t.sessionsStarted());
        totals.put("sessions_cut", result.cut());
        totals.put("offered", t.messagesOffered());
        totals.put("admitted", t.admitted());
        totals.put("tempfailed", t.tempfailed());
        totals.put("rejected", t.rejected());
        totals.put("errors", t.errors());
        totals.put("backend_received", result.backend().orElse(null));
        json.put("totals", totals);
        Map<String, Object> rates = new LinkedHashMap<>();
        rates.put("offered", t.messagesOffered() / seconds);
        rates.put("admitted", t.admitted() / seconds);
        rates.put("refused", t.refused() / seconds);
        rates.put("backend", result.backend().map(b -> b / seconds).orElse(null));
        json.put("rates_per_second", rates);
        json.put("replies", result.replies());
        json.put("reply_examples", result.examples());
        Map<String, Object> latency = new LinkedHashMap<>();
        for (StageLatency l : result.latencyTable()) {
            Map<String, Object> stage = new LinkedHashMap<>();
            stage.put("count", l.count());
            stage.put("p50", l.p50());
            stage.put("p90", l.p90());
            stage.put("p99", l.p99());
            stage.put("p99_9", l.p999());
            stage.put("max", l.max());
            latency.put(l.label(), stage);
        }
        json.put("latency_ms", latency);
        json.put("check", result.check().orElse(null));
        DeliveryResult d = result.deliveries();
        if (d.retry().isPresent()) {
            Map<String, Object> retries = new LinkedHashMap<>();
            retries.put("schedule", d.retry().get());
            retries.put("first_attempt", d.firstAttempt());
            retries.put("after_retries", java.util.Arrays.stream(d.afterRetries()).skip(1).boxed().toList());
            retries.put("given_up", d.givenUp());
            retries.put("still_queued", d.stillQueued());
            retries.put("first_deferral_to_acceptance_seconds", d.toAcceptance());
            retries.put("first_deferral_to_give_up_seconds", d.toGiveUp());
            json.put("retries", retries);
        }
        if (!d.networks().isEmpty()) {
            json.put("networks", d.networks());
        }
        json.putAll(extra);
        return json;
    }
}
