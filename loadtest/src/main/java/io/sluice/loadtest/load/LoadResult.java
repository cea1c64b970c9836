package io.sluice.loadtest.load;

import io.sluice.loadtest.check.CheckSummary;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Everything a run measured.
 *
 * @param run         the run's id, as in every message's check header
 * @param elapsed     from the first session to the end of the last (or the deadline)
 * @param transaction latency of the transactions that reached the final dot, from MAIL to its reply
 * @param replies     replies by {@code "stage code"}, e.g. {@code "mail 451"}; also timeouts and lost connections
 * @param examples    the first text of each refusal or failure, by the same keys
 * @param backend     messages the backend received during the run, if it was watched
 * @param cut         sessions still open at the deadline, closed without a verdict
 * @param deliveries  messages across their retries, and per client network
 */
public record LoadResult(String run, LoadPlan plan, Instant startedAt, Duration elapsed, Counts totals,
        List<Second> seconds, List<StageLatency> latency, StageLatency transaction, Map<String, Long> replies,
        Map<String, String> examples,
        Optional<Long> backend, Optional<CheckSummary> check, long cut, DeliveryResult deliveries) {

    /** A run without retries or networks. */
    public LoadResult(String run, LoadPlan plan, Instant startedAt, Duration elapsed, Counts totals,
            List<Second> seconds, List<StageLatency> latency, StageLatency transaction, Map<String, Long> replies,
            Map<String, String> examples, Optional<Long> backend, Optional<CheckSummary> check, long cut) {
        this(run, plan, startedAt, elapsed, totals, seconds, latency, transaction, replies, examples, backend, check,
                cut, DeliveryResult.NONE);
    }

    /** Messages by outcome, in the order tables show them, with the backend's count if it was watched. */
    public Map<String, Long> messageRows() {
        Map<String, Long> rows = new LinkedHashMap<>();
        rows.put("offered", totals.messagesOffered());
        rows.put("admitted", totals.admitted());
        rows.put("tempfailed (4xx)", totals.tempfailed());
        rows.put("rejected (5xx)", totals.rejected());
        rows.put("errors", totals.errors());
        backend.ifPresent(received -> rows.put("backend received", received));
        return rows;
    }

    /** The stages' latency and, if any transaction got that far, the transactions' as the last row. */
    public List<StageLatency> latencyTable() {
        List<StageLatency> table = new java.util.ArrayList<>(latency);
        if (transaction.count() > 0) {
            table.add(transaction);
        }
        return table;
    }

    public LoadResult {
        seconds = List.copyOf(seconds);
        latency = List.copyOf(latency);
        replies = Collections.unmodifiableMap(new LinkedHashMap<>(replies));
        examples = Collections.unmodifiableMap(new LinkedHashMap<>(examples));
    }
}
