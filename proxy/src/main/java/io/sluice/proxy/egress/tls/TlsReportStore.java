package io.sluice.proxy.egress.tls;

import io.sluice.proxy.egress.tls.TlsReportCounts.Tally;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where the nodes' counts of a day meet, and which node sends each report: in the cluster ({@link ClusterTlsReports})
 * or, for a node alone, here.
 */
interface TlsReportStore {

    /** This node's counts of the day so far, replacing what it shared of that day before. */
    void publish(LocalDate day, List<Tally> tallies);

    /** Every node's counts of the day, one tally per domain and kind of policy. */
    List<Tally> day(LocalDate day);

    /** Whether this node is the one to send the domain's report of the day: true once per day and domain. */
    boolean claim(LocalDate day, String domain);

    /** How the report went, kept with the claim. */
    void done(LocalDate day, String domain, String outcome);

    /** A node alone: its own counts, and claims in memory. */
    final class Alone implements TlsReportStore {
        private final Map<LocalDate, List<Tally>> days = new ConcurrentHashMap<>();
        private final Map<String, String> claims = new ConcurrentHashMap<>();

        @Override
        public void publish(LocalDate day, List<Tally> tallies) {
            days.put(day, List.copyOf(tallies));
            // Two days back is all a report needs.
            days.keySet().removeIf(kept -> kept.isBefore(day.minusDays(2)));
            claims.keySet().removeIf(key -> key.compareTo(day.minusDays(2).toString()) < 0);
        }

        @Override
        public List<Tally> day(LocalDate day) {
            return days.getOrDefault(day, List.of());
        }

        @Override
        public boolean claim(LocalDate day, String domain) {
            return claims.putIfAbsent(day + "/" + domain, "claimed") == null;
        }

        @Override
        public void done(LocalDate day, String domain, String outcome) {
            claims.put(day + "/" + domain, outcome);
        }
    }
}
