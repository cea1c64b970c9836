package io.sluice.proxy.egress.tls;

import io.sluice.proxy.egress.tls.TlsRequirement.PolicyType;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Successes and failures per UTC day, policy domain and policy type, with failures by RFC 8460 result type: what a
 * daily TLS report (RFC 8460 §4) of one domain sums up. On this node only; bounded in domains per day, with what
 * no longer fits counted as dropped. The reports themselves (merging the nodes' counts, JSON, delivery) are not
 * built yet.
 */
public final class TlsReportCounts {

    static final int MAX_DOMAINS = 10_000;

    /** One report's subject: a day, a policy domain and the kind of its policy. */
    public record Key(LocalDate day, String domain, PolicyType policy) {}

    /** The counts of one report subject. */
    public static final class Counts {
        private final LongAdder successes = new LongAdder();
        private final Map<TlsResult, LongAdder> failures = new EnumMap<>(TlsResult.class);

        Counts() {
            for (TlsResult result : TlsResult.values()) {
                if (result != TlsResult.SUCCESS) {
                    failures.put(result, new LongAdder());
                }
            }
        }

        public long successes() {
            return successes.sum();
        }

        /** Failures by RFC 8460 result type, only those that happened. */
        public Map<String, Long> failures() {
            Map<String, Long> byType = new LinkedHashMap<>();
            failures.forEach((result, count) -> {
                if (count.sum() > 0) {
                    byType.merge(result.reportType(), count.sum(), Long::sum);
                }
            });
            return byType;
        }
    }

    private final Clock clock;
    private final Map<Key, Counts> counts = new ConcurrentHashMap<>();
    private final LongAdder dropped = new LongAdder();

    TlsReportCounts() {
        this(Clock.systemUTC());
    }

    TlsReportCounts(Clock clock) {
        this.clock = clock;
    }

    void count(String domain, PolicyType policy, TlsResult result) {
        Key key = new Key(LocalDate.now(clock.withZone(ZoneOffset.UTC)), domain, policy);
        Counts entry = counts.get(key);
        if (entry == null) {
            if (counts.size() >= MAX_DOMAINS) {
                dropped.increment();
                return;
            }
            entry = counts.computeIfAbsent(key, k -> new Counts());
        }
        if (result == TlsResult.SUCCESS) {
            entry.successes.increment();
        } else {
            entry.failures.get(result).increment();
        }
    }

    /** The counts of one report subject so far; null when nothing was counted for it. */
    public Counts of(Key key) {
        return counts.get(key);
    }

    /** The subjects of a day, once it is over to be reported and then forgotten with {@link #forget}. */
    public List<Key> subjects(LocalDate day) {
        return counts.keySet().stream().filter(key -> key.day().equals(day)).toList();
    }

    public void forget(LocalDate day) {
        counts.keySet().removeIf(key -> !key.day().isAfter(day));
    }

    /** Outcomes not counted because the bound was reached. */
    public long dropped() {
        return dropped.sum();
    }
}
