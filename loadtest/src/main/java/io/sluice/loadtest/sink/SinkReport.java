package io.sluice.loadtest.sink;

import java.util.Locale;

/** The sink's human-readable lines: periodic progress and the final summary. */
final class SinkReport {

    private static final double NANOS_PER_SECOND = 1e9;

    private SinkReport() {
    }

    /** One progress line: totals since start, and rates over the interval since {@code previous}. */
    static String progress(SinkStats.Snapshot start, SinkStats.Snapshot previous, SinkStats.Snapshot now) {
        double interval = Math.max(1, now.nanoTime() - previous.nanoTime()) / NANOS_PER_SECOND;
        return String.format(Locale.ROOT,
                "sink: t=%.0fs sessions=%d active=%d messages=%d (%.0f/s) recipients=%d bytes=%s (%s/s)",
                (now.nanoTime() - start.nanoTime()) / NANOS_PER_SECOND,
                now.sessions(),
                now.activeSessions(),
                now.messages(),
                (now.messages() - previous.messages()) / interval,
                now.recipients(),
                bytes(now.bodyBytes()),
                bytes((long) ((now.bodyBytes() - previous.bodyBytes()) / interval)));
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
