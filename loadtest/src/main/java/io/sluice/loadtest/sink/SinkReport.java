package io.sluice.loadtest.sink;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

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
    static void write(Path dir, SinkStats.Snapshot start, SinkStats stats, SinkRateLog rates) throws IOException {
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
        json.put("messages_by_peer", stats.messagesByPeer());
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(dir.resolve("sink.json").toFile(),
                json);
        StringBuilder csv = new StringBuilder("elapsed_ms,messages\n");
        for (long[] row : rates.rows()) {
            csv.append(row[0]).append(',').append(row[1]).append('\n');
        }
        Files.writeString(dir.resolve("sink-rate.csv"), csv);
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
