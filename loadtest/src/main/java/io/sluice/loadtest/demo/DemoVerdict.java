package io.sluice.loadtest.demo;

import io.sluice.loadtest.load.LoadResult;
import io.sluice.loadtest.load.Second;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * What the demo proves: during the burst (the seconds the schedule ran at its peak) the backend received the
 * configured limit's rate, within a tolerance, while the offered rate was a multiple of it.
 */
record DemoVerdict(double limit, double burstSeconds, double offeredRate, double admittedRate, double refusedRate,
        double backendRate, boolean clean) {

    /** How far the backend's rate may be from the limit. */
    static final double TOLERANCE = 0.02;
    /** How many times the limit the burst must offer. */
    static final double MIN_OVERLOAD = 10;

    /** Rates over the seconds whose scheduled rate was the peak; the first such second is left out as a transition. */
    static DemoVerdict of(LoadResult result, double limit) {
        double peak = result.plan().schedule().orElseThrow().peakRate();
        double seconds = 0;
        long offered = 0;
        long admitted = 0;
        long refused = 0;
        long backend = 0;
        boolean first = true;
        for (Second s : result.seconds()) {
            if (Math.abs(s.scheduledRate() - peak) > 1e-9) {
                continue;
            }
            if (first) {
                first = false;
                continue;
            }
            seconds += s.seconds();
            offered += s.delta().messagesOffered();
            admitted += s.delta().admitted();
            refused += s.delta().refused();
            backend += Math.max(0, s.backendReceived());
        }
        double span = Math.max(seconds, 1e-9);
        return new DemoVerdict(limit, seconds, offered / span, admitted / span, refused / span, backend / span,
                result.check().map(c -> c.clean()).orElse(false));
    }

    /** The backend's rate as a share of the limit: 1.0 is exact. */
    double ratio() {
        return backendRate / limit;
    }

    double overload() {
        return offeredRate / limit;
    }

    boolean withinTolerance() {
        return Math.abs(ratio() - 1) <= TOLERANCE;
    }

    boolean passed() {
        // The schedule offers exactly the multiple; the measured rate jitters by a session or two per second.
        return burstSeconds > 0 && withinTolerance() && overload() >= MIN_OVERLOAD * (1 - TOLERANCE) && clean;
    }

    /** The table and verdict lines the demo prints. */
    String table() {
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "%nFriday burst through Sluice, global limit %.0f messages/s%n", limit));
        out.append(String.format(Locale.ROOT, "%-26s %10s %10s %10s %10s%n", "", "offered/s", "admitted/s",
                "refused/s", "backend/s"));
        out.append(String.format(Locale.ROOT, "%-26s %10.1f %10.1f %10.1f %10.1f%n",
                String.format(Locale.ROOT, "burst (%.0f s)", burstSeconds), offeredRate, admittedRate, refusedRate,
                backendRate));
        for (String line : lines()) {
            out.append(line).append('\n');
        }
        return out.toString();
    }

    /** The verdict in sentences, for the terminal and the report. */
    String[] lines() {
        return new String[] {
            String.format(Locale.ROOT, "offered %.1f x the limit; backend received %.2f/s = %.3f x the limit"
                    + " (within %.0f%%: %s)", overload(), backendRate, ratio(), TOLERANCE * 100,
                    withinTolerance() ? "yes" : "NO"),
            "checksums: " + (clean ? "no message lost, duplicated or corrupted" : "FAILED (see the summary)"),
            passed() ? "demo: PASSED" : "demo: FAILED"
        };
    }

    Map<String, Object> json() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("limit_per_second", limit);
        json.put("burst_seconds", burstSeconds);
        json.put("offered_per_second", offeredRate);
        json.put("admitted_per_second", admittedRate);
        json.put("refused_per_second", refusedRate);
        json.put("backend_per_second", backendRate);
        json.put("backend_to_limit", ratio());
        json.put("offered_to_limit", overload());
        json.put("within_tolerance", withinTolerance());
        json.put("passed", passed());
        return json;
    }
}
