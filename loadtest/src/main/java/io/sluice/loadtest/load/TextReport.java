package io.sluice.loadtest.load;

import io.sluice.loadtest.cli.HostPorts;
import java.util.Locale;
import java.util.Map;

/** The human-readable lines of a run: the progress line once a second and the summary table at the end. */
public final class TextReport {

    private TextReport() {
    }

    /** One progress line for the second just past. */
    public static String progress(Second s) {
        Counts d = s.delta();
        String backend = s.backendReceived() < 0 ? "" : String.format(Locale.ROOT, " backend=%.0f/s",
                s.rate(s.backendReceived()));
        return String.format(Locale.ROOT,
                "load: t=%3ds offered=%.0f/s admitted=%.0f/s refused=%.0f/s errors=%d%s open=%d reply p50=%.1fms"
                        + " p99=%.1fms",
                s.second(), s.rate(d.messagesOffered()), s.rate(d.admitted()), s.rate(d.refused()), d.errors(),
                backend, s.total().openSessions(), s.p50Millis(), s.p99Millis());
    }

    /** The summary table: messages by outcome, replies by stage and code, latency by stage, checks. */
    public static String summary(LoadResult result) {
        StringBuilder out = new StringBuilder();
        Counts t = result.totals();
        double seconds = result.elapsed().toNanos() / 1e9;
        out.append(String.format(Locale.ROOT, "run %s: %s against %s, %.1fs%n", result.run(),
                result.plan().arrivals(), HostPorts.format(result.plan().target()), seconds));
        out.append(String.format(Locale.ROOT, "%-18s %10s %10s%n", "messages", "count", "rate/s"));
        result.messageRows().forEach((name, count) -> out.append(String.format(Locale.ROOT, "%-18s %10d %10.1f%n",
                name, count, count / seconds)));
        out.append(String.format(Locale.ROOT, "sessions: %d started, %d cut at the deadline%n", t.sessionsStarted(),
                result.cut()));
        out.append(String.format(Locale.ROOT, "%n%-11s %9s %9s %9s %9s %9s %9s  (reply latency, ms)%n", "stage",
                "replies", "p50", "p90", "p99", "p99.9", "max"));
        for (StageLatency l : result.latencyTable()) {
            out.append(String.format(Locale.ROOT, "%-11s %9d %9.2f %9.2f %9.2f %9.2f %9.2f%n", l.label(),
                    l.count(), l.p50(), l.p90(), l.p99(), l.p999(), l.max()));
        }
        out.append(String.format(Locale.ROOT, "%nreplies by stage and code:%n"));
        for (Map.Entry<String, Long> e : result.replies().entrySet()) {
            String example = result.examples().get(e.getKey());
            out.append(String.format(Locale.ROOT, "  %-22s %9d%s%n", e.getKey(), e.getValue(),
                    example == null ? "" : "  " + example));
        }
        deliveries(out, result.deliveries());
        result.check().ifPresent(c -> out.append(String.format(Locale.ROOT,
                "%ncheck: %s; %d admitted, %d received, %d lost, %d duplicated, %d corrupt, %d received unconfirmed%n",
                c.clean() ? "clean" : "FAILED", c.admitted(), c.received(), c.lost(), c.duplicates(), c.corrupt(),
                c.unconfirmed())));
        return out.toString();
    }

    /** Retried messages and client networks, if the run had them. */
    static void deliveries(StringBuilder out, DeliveryResult d) {
        d.retry().ifPresent(retry -> {
            out.append(String.format(Locale.ROOT, "%nsenders retried on %s: %d accepted at the first attempt",
                    retry, d.firstAttempt()));
            long[] after = d.afterRetries();
            for (int n = 1; n < after.length; n++) {
                out.append(String.format(Locale.ROOT, ", %d after %d %s", after[n], n, n == 1 ? "retry" : "retries"));
            }
            out.append(String.format(Locale.ROOT, "; %d given up, %d still queued at the end%n", d.givenUp(),
                    d.stillQueued()));
            delay(out, "first deferral to acceptance", d.toAcceptance());
            delay(out, "first deferral to giving up", d.toGiveUp());
        });
        if (!d.networks().isEmpty()) {
            out.append(String.format(Locale.ROOT, "%n%-14s %-16s %9s %9s %9s %9s%n", "network", "addresses", "offered",
                    "accepted", "deferred", "given up"));
            for (DeliveryResult.NetworkCounts n : d.networks()) {
                out.append(String.format(Locale.ROOT, "%-14s %-16s %9d %9d %9d %9d%n", n.name(), n.addresses(),
                        n.offered(), n.accepted(), n.deferred(), n.givenUp()));
            }
        }
    }

    private static void delay(StringBuilder out, String what, DeliveryResult.Delay delay) {
        if (delay.count() > 0) {
            out.append(String.format(Locale.ROOT,
                    "  %s (schedule time): %d messages, p50 %.0fs p95 %.0fs p99 %.0fs max %.0fs%n", what,
                    delay.count(), delay.p50(), delay.p95(), delay.p99(), delay.max()));
        }
    }
}