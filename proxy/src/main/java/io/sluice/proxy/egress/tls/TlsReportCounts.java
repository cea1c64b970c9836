package io.sluice.proxy.egress.tls;

import io.sluice.proxy.egress.tls.TlsRequirement.PolicyType;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Successes and failures per UTC day, policy domain and policy type, with failures by RFC 8460 result type and, where
 * known, the MX host, its address and the source address: what a daily TLS report (RFC 8460 §4) of one domain sums
 * up. On this node only; bounded in domains per day (domains without a policy taking at most half, so that they never
 * crowd out those with one) and in failure details per domain, with what no longer fits counted as dropped or
 * without its details.
 */
public final class TlsReportCounts {

    static final int MAX_DOMAINS = 10_000;
    static final int MAX_DETAILS = 16;

    /** One report's subject: a day, a policy domain and the kind of its policy ({@code NONE}: no policy found). */
    public record Key(LocalDate day, String domain, PolicyType policy) {}

    /**
     * Where failures happened, as a report's failure details give it (RFC 8460 §4.3): the result type, the MX host
     * and its address, and the address Sluice sent from; empty strings where not known.
     */
    public record Detail(String resultType, String mxHost, String receivingIp, String sendingIp) {
        public Detail {
            Objects.requireNonNull(resultType, "resultType");
            Objects.requireNonNull(mxHost, "mxHost");
            Objects.requireNonNull(receivingIp, "receivingIp");
            Objects.requireNonNull(sendingIp, "sendingIp");
        }

        /** The result type alone. */
        Detail withoutPlace() {
            return new Detail(resultType, "", "", "");
        }
    }

    /** The counts of one report subject. */
    public static final class Counts {
        private final LongAdder successes = new LongAdder();
        private final Map<Detail, LongAdder> failures = new ConcurrentHashMap<>();
        private final AtomicInteger details = new AtomicInteger();

        public long successes() {
            return successes.sum();
        }

        /** Failures by RFC 8460 result type, only those that happened. */
        public Map<String, Long> failures() {
            Map<String, Long> byType = new LinkedHashMap<>();
            failures.forEach((detail, count) -> byType.merge(detail.resultType(), count.sum(), Long::sum));
            return byType;
        }

        /** Failures by where they happened. */
        public Map<Detail, Long> details() {
            Map<Detail, Long> copy = new LinkedHashMap<>();
            failures.forEach((detail, count) -> copy.put(detail, count.sum()));
            return copy;
        }

        private void fail(Detail detail) {
            LongAdder count = failures.get(detail);
            if (count == null) {
                Detail kept = details.incrementAndGet() <= MAX_DETAILS ? detail : detail.withoutPlace();
                count = failures.computeIfAbsent(kept, d -> new LongAdder());
            }
            count.increment();
        }
    }

    private final Clock clock;
    private final Map<Key, Counts> counts = new ConcurrentHashMap<>();
    private final AtomicInteger withoutPolicy = new AtomicInteger();
    private final LongAdder dropped = new LongAdder();

    TlsReportCounts() {
        this(Clock.systemUTC());
    }

    TlsReportCounts(Clock clock) {
        this.clock = clock;
    }

    void count(String domain, PolicyType policy, TlsResult result) {
        count(domain, policy, result, new Detail(result.reportType(), "", "", ""));
    }

    /** An outcome; for a failure, where it happened. */
    void count(String domain, PolicyType policy, TlsResult result, Detail where) {
        Key key = new Key(today(), domain, policy);
        Counts entry = counts.get(key);
        if (entry == null) {
            boolean none = policy == PolicyType.NONE;
            if (counts.size() >= MAX_DOMAINS || none && withoutPolicy.get() >= MAX_DOMAINS / 2) {
                dropped.increment();
                return;
            }
            entry = counts.computeIfAbsent(key, k -> {
                if (none) {
                    withoutPolicy.incrementAndGet();
                }
                return new Counts();
            });
        }
        if (result == TlsResult.SUCCESS) {
            entry.successes.increment();
        } else {
            entry.fail(where);
        }
    }

    /** The UTC day outcomes are counted in now. */
    LocalDate today() {
        return LocalDate.now(clock.withZone(ZoneOffset.UTC));
    }

    /** The counts of one report subject so far; null when nothing was counted for it. */
    public Counts of(Key key) {
        return counts.get(key);
    }

    /** The subjects of a day, once it is over to be reported and then forgotten with {@link #forget}. */
    public List<Key> subjects(LocalDate day) {
        return counts.keySet().stream().filter(key -> key.day().equals(day)).toList();
    }

    /** What this node counted on the day so far, as it is shared with the other nodes. */
    List<Tally> tallies(LocalDate day) {
        List<Tally> tallies = new ArrayList<>();
        counts.forEach((key, entry) -> {
            if (key.day().equals(day)) {
                tallies.add(new Tally(key.domain(), key.policy(), entry.successes(), entry.details()));
            }
        });
        return tallies;
    }

    /** Forgets the day and those before it. */
    public void forget(LocalDate day) {
        counts.keySet().removeIf(key -> {
            boolean old = !key.day().isAfter(day);
            if (old && key.policy() == PolicyType.NONE) {
                withoutPolicy.decrementAndGet();
            }
            return old;
        });
    }

    /** Outcomes not counted because the bound was reached. */
    public long dropped() {
        return dropped.sum();
    }

    /** The counts of one domain and kind of policy on one day, of one node or merged from several. */
    record Tally(String domain, PolicyType policy, long successes, Map<Detail, Long> failures) {
        Tally {
            Objects.requireNonNull(domain, "domain");
            Objects.requireNonNull(policy, "policy");
            failures = Map.copyOf(failures);
        }

        long failed() {
            return failures.values().stream().mapToLong(Long::longValue).sum();
        }

        /** The same counts with the failures by result type only, without the hosts and addresses. */
        Tally withoutPlaces() {
            Map<Detail, Long> byType = new LinkedHashMap<>();
            failures.forEach((detail, count) -> byType.merge(detail.withoutPlace(), count, Long::sum));
            return new Tally(domain, policy, successes, byType);
        }

        /** Both counts together, the details still bounded. */
        Tally plus(Tally other) {
            Map<Detail, Long> merged = new LinkedHashMap<>(failures);
            other.failures.forEach((detail, count) -> {
                Detail kept = merged.containsKey(detail) || merged.size() < MAX_DETAILS ? detail
                        : detail.withoutPlace();
                merged.merge(kept, count, Long::sum);
            });
            return new Tally(domain, policy, successes + other.successes, merged);
        }
    }
}
