package io.sluice.loadtest.sink;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;

/** The sink's human-readable lines: periodic progress and the final summary. */
final class SinkReport {

    private static final double NANOS_PER_SECOND = 1e9;

    private SinkReport() {
    }

    /** One progress line: totals since start, and rates over the interval since {@code previous}. */
    static String progress(SinkStats.Snapshot start, SinkStats.Snapshot previous, SinkStats.Snapshot now) {
        double interval = Math.max(1, now.nanoTime() - previous.nanoTime()) / NANOS_PER_SECOND;
        return String.format(Locale.ROOT,
                "sink: t=%.0fs sessions=%d active=%d messages=%d (%.0f/s) recipients=%d bytes=%s (%s/s) faults=%d",
                (now.nanoTime() - start.nanoTime()) / NANOS_PER_SECOND,
                now.sessions(),
                now.activeSessions(),
                now.messages(),
                (now.messages() - previous.messages()) / interval,
                now.recipients(),
                bytes(now.bodyBytes()),
                bytes((long) ((now.bodyBytes() - previous.bodyBytes()) / interval)),
                now.faults());
    }

    /**
     * One progress line with the latency of the replies to final dots since the previous line ({@code dotLatency},
     * in microseconds) and the final dots waiting for their turn now.
     */
    static String progress(SinkStats.Snapshot start, SinkStats.Snapshot previous, SinkStats.Snapshot now,
            Histogram dotLatency) {
        return progress(start, previous, now) + String.format(Locale.ROOT, " dot p50=%.1fms p99=%.1fms waiting=%d",
                millis(dotLatency, 50), millis(dotLatency, 99), now.waiting());
    }

    /** The latency of the replies to final dots in each plateau of the service model, one line each. */
    static String latency(SinkStats stats, ServiceModel service) {
        StringBuilder text = new StringBuilder();
        text.append(String.format(Locale.ROOT, "sink final-dot latency (%s), most waiting at once %d:", service,
                stats.waitingPeak()));
        for (Map<String, Object> plateau : plateaus(stats, service)) {
            text.append(String.format(Locale.ROOT,
                    "%n  %-24s messages=%d (%.1f/s) p50=%.1fms p99=%.1fms max=%.1fms", plateau.get("plateau"),
                    plateau.get("messages"), plateau.get("accepted_per_second"), plateau.get("p50_ms"),
                    plateau.get("p99_ms"), plateau.get("max_ms")));
        }
        return text.toString();
    }

    /** Per plateau: its label, start, the messages accepted in it and their final-dot latency. */
    static List<Map<String, Object>> plateaus(SinkStats stats, ServiceModel service) {
        List<Map<String, Object>> list = new ArrayList<>();
        List<String> labels = service.plateaus();
        List<Histogram> latency = stats.dotLatencyByPlateau();
        for (int i = 0; i < labels.size(); i++) {
            Histogram h = latency.get(i);
            Map<String, Object> plateau = new LinkedHashMap<>();
            plateau.put("plateau", labels.get(i));
            plateau.put("from_seconds", service.plateauStart(i) / NANOS_PER_SECOND);
            plateau.put("messages", h.getTotalCount());
            // Over the part of the plateau between the first and the last acceptance: the sink's accepted rate.
            long from = Math.max(service.origin() + service.plateauStart(i), stats.firstAccepted());
            long to = i + 1 < labels.size() ? Math.min(service.origin() + service.plateauStart(i + 1),
                    stats.lastAccepted()) : stats.lastAccepted();
            plateau.put("accepted_per_second", h.getTotalCount() == 0 || to - from <= 0 ? 0.0
                    : h.getTotalCount() / ((to - from) / NANOS_PER_SECOND));
            plateau.put("p50_ms", millis(h, 50));
            plateau.put("p99_ms", millis(h, 99));
            plateau.put("max_ms", h.getTotalCount() == 0 ? 0.0 : h.getMaxValue() / 1000.0);
            list.add(plateau);
        }
        return list;
    }

    /** The summary printed once at shutdown; bytes are exact so scripts can compare them. */
    static String summary(SinkStats.Snapshot start, SinkStats.Snapshot end) {
        double uptime = Math.max(1, end.nanoTime() - start.nanoTime()) / NANOS_PER_SECOND;
        return String.format(Locale.ROOT,
                "sink summary: uptime=%.1fs sessions=%d messages=%d recipients=%d bytes=%d (%s) mean=%.0f msg/s",
                uptime,
                end.sessions(),
                end.messages(),
                end.recipients(),
                end.bodyBytes(),
                bytes(end.bodyBytes()),
                end.messages() / uptime);
    }

    /** The checksum ledger's totals: what a proxy in front must never cause. */
    static String checks(SinkStats stats) {
        long[] totals = stats.ledger().totals();
        return String.format(Locale.ROOT,
                "sink checks: %d checked messages, %d duplicates, %d corrupt, %d without a check header",
                totals[0], totals[1], totals[2], stats.ledger().unchecked());
    }

    /** {@code sink.json} and {@code sink-rate.csv} in {@code dir}. */
    static void write(Path dir, SinkStats.Snapshot start, SinkStats stats, SinkRateLog rates, ServiceModel service)
            throws IOException {
        Files.createDirectories(dir);
        SinkStats.Snapshot end = stats.snapshot(System.nanoTime());
        long[] totals = stats.ledger().totals();
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("uptime_seconds", (end.nanoTime() - start.nanoTime()) / NANOS_PER_SECOND);
        json.put("sessions", end.sessions());
        json.put("messages", end.messages());
        json.put("recipients", end.recipients());
        json.put("body_bytes", end.bodyBytes());
        json.put("faults_injected", end.faults());
        json.put("checked", totals[0]);
        json.put("duplicates", totals[1]);
        json.put("corrupt", totals[2]);
        json.put("unchecked", stats.ledger().unchecked());
        json.put("service", service.toString());
        json.put("waiting_peak", stats.waitingPeak());
        json.put("final_dot_latency", plateaus(stats, service));
        json.put("messages_by_peer", stats.messagesByPeer());
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(dir.resolve("sink.json").toFile(),
                json);
        StringBuilder csv = new StringBuilder("elapsed_ms,messages,dot_p50_ms,dot_p99_ms,dot_max_ms,waiting\n");
        for (SinkRateLog.Row row : rates.rows()) {
            csv.append(String.format(Locale.ROOT, "%d,%d,%.3f,%.3f,%.3f,%d%n", row.elapsedMillis(), row.messages(),
                    row.p50Micros() / 1000.0, row.p99Micros() / 1000.0, row.maxMicros() / 1000.0, row.waiting()));
        }
        Files.writeString(dir.resolve("sink-rate.csv"), csv);
    }

    private static double millis(Histogram micros, double percentile) {
        return micros.getTotalCount() == 0 ? 0 : micros.getValueAtPercentile(percentile) / 1000.0;
    }

    /** Decimal (SI) units, as network throughput is usually quoted. */
    static String bytes(long bytes) {
        if (bytes < 1000) {
            return bytes + "B";
        }
        String[] units = {"kB", "MB", "GB", "TB", "PB", "EB"};
        double value = bytes;
        int unit = -1;
        while (value >= 1000 && unit < units.length - 1) {
            value /= 1000;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f%s", value, units[unit]);
    }
}
