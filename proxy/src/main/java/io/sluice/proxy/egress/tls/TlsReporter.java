package io.sluice.proxy.egress.tls;

import static net.logstash.logback.argument.StructuredArguments.kv;

import io.sluice.config.TlsReportsConfig;
import io.sluice.proxy.egress.tls.TlsReportCounts.Tally;
import io.sluice.proxy.smtp.SmtpClientConnection;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the daily TLS reports (RFC 8460): every flush interval this node shares its counts of the day with the
 * cluster; at {@code send-at} each day it merges every node's counts of the day before, and for each domain that
 * publishes a {@code _smtp._tls} record with report URIs, and whose report no other node claimed, builds the report
 * and delivers it to each URI: {@code mailto:} through the reports' egress pool, {@code https:} by POST. Runs on a
 * thread of its own, one domain after another, each delivery with its time limit: never on an event loop.
 */
public final class TlsReporter implements AutoCloseable {

    /** The media type of a gzip-compressed report (RFC 8460 §6.4). */
    static final String MEDIA_TYPE = "application/tlsrpt+gzip";

    private static final Logger log = LoggerFactory.getLogger(TlsReporter.class);

    /** How the report of one domain went to one report URI. */
    public record Delivery(String domain, URI uri, boolean sent, String detail) {}

    private final TlsReportsConfig config;
    private final TlsOutcomes outcomes;
    private final TlsReportCounts counts;
    private final TlsReportStore store;
    private final Function<String, CompletableFuture<List<URI>>> rua;
    private final Function<String, Optional<MtaStsPolicy>> stsPolicies;
    private final ReportMailer mailer;
    private final ReportPoster poster;
    private final Clock clock;
    private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "sluice-tls-reports");
        thread.setDaemon(true);
        return thread;
    });
    // The last day whose counts were shared after it ended.
    private volatile LocalDate closed;

    TlsReporter(TlsReportsConfig config, TlsOutcomes outcomes, TlsReportStore store,
                Function<String, CompletableFuture<List<URI>>> rua,
                Function<String, Optional<MtaStsPolicy>> stsPolicies, ReportMailer mailer, ReportPoster poster,
                Clock clock) {
        this.config = config;
        this.outcomes = outcomes;
        this.counts = outcomes.reports();
        this.store = store;
        this.rua = rua;
        this.stsPolicies = stsPolicies;
        this.mailer = mailer;
        this.poster = poster;
        this.clock = clock;
    }

    /** Shares the counts every flush interval and reports every day at {@code send-at}. */
    void start() {
        long flush = config.flushInterval().toMillis();
        executor.scheduleWithFixedDelay(() -> safely("flush", this::flush), flush, flush, TimeUnit.MILLISECONDS);
        scheduleNextReport();
    }

    /** The first {@code sendAt} (UTC) strictly after {@code now}: today's if it is still to come, else tomorrow's. */
    static Instant nextReportAt(Instant now, LocalTime sendAt) {
        Instant today = now.atZone(ZoneOffset.UTC).toLocalDate().atTime(sendAt).toInstant(ZoneOffset.UTC);
        return today.isAfter(now) ? today : today.plus(Duration.ofDays(1));
    }

    private void scheduleNextReport() {
        Instant now = clock.instant();
        Instant next = nextReportAt(now, config.sendAt());
        executor.schedule(() -> {
            LocalDate yesterday = counts.today().minusDays(1);
            safely("report", () -> {
                report(yesterday);
                // Reported: its room in the bounded counts is today's (a flush has freed it already).
                counts.forget(yesterday);
            });
            scheduleNextReport();
        }, Duration.between(now, next).toMillis(), TimeUnit.MILLISECONDS);
    }

    private void safely(String what, Runnable task) {
        try {
            task.run();
        } catch (RuntimeException e) {
            // The cluster may be away for a while: the next turn tries again.
            log.warn("tls reports: {} failed", what, kv("error", e.toString()));
        }
    }

    /** Shares today's counts; once a day has ended, its final counts, and forgets that day here. */
    void flush() {
        LocalDate today = counts.today();
        LocalDate yesterday = today.minusDays(1);
        if (!yesterday.equals(closed)) {
            store.publish(yesterday, counts.tallies(yesterday));
            // The store holds the day's final counts now: its room in the bounded counts is today's.
            counts.forget(yesterday);
            closed = yesterday;
        }
        store.publish(today, counts.tallies(today));
    }

    /**
     * Reports the day: every node's counts merged, one report per domain that asks for reports and was not claimed by
     * another node. Blocks until every delivery is done or timed out; for the scheduler and tests.
     */
    public List<Delivery> report(LocalDate day) {
        if (!day.equals(closed)) {
            // A closed day's final counts are in the store already, and forgotten here.
            store.publish(day, counts.tallies(day));
        }
        Map<String, List<Tally>> byDomain = new LinkedHashMap<>();
        store.day(day).stream().sorted(Comparator.comparing(Tally::domain).thenComparing(Tally::policy))
                .forEach(tally -> byDomain.computeIfAbsent(tally.domain(), d -> new ArrayList<>()).add(tally));
        List<Delivery> done = new ArrayList<>();
        byDomain.forEach((domain, tallies) -> {
            // Claimed first, so that one node, not every node, looks the domain's record up.
            if (!store.claim(day, domain)) {
                return;
            }
            List<URI> uris = lookup(domain);
            if (uris.isEmpty()) {
                store.done(day, domain, "no rua");
                return;
            }
            TlsReport report = TlsReport.of(config, domain, day, tallies, stsPolicies);
            // Every URI at once: a slow one holds back neither the others nor the next domain longer than its limit.
            List<CompletableFuture<Void>> started = uris.stream().map(uri -> start(report, uri)).toList();
            List<Delivery> sent = new ArrayList<>();
            for (int i = 0; i < uris.size(); i++) {
                sent.add(finish(report, uris.get(i), started.get(i)));
            }
            store.done(day, domain, sent.stream().anyMatch(Delivery::sent) ? "sent" : "failed");
            done.addAll(sent);
        });
        log.info("tls reports sent", kv("day", day.toString()), kv("domains", byDomain.size()),
                kv("deliveries", done.size()), kv("failed", done.stream().filter(d -> !d.sent()).count()));
        return done;
    }

    private List<URI> lookup(String domain) {
        try {
            return rua.apply(domain).get(config.timeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return List.of();
        }
    }

    private CompletableFuture<Void> start(TlsReport report, URI uri) {
        return uri.getScheme().equalsIgnoreCase("mailto") ? mailer.mail(uri.getSchemeSpecificPart(), report)
                : poster.post(uri, report.gzip());
    }

    private Delivery finish(TlsReport report, URI uri, CompletableFuture<Void> delivery) {
        String method = uri.getScheme().toLowerCase(Locale.ROOT);
        Delivery outcome;
        try {
            // Each way has its own time limit; this one only keeps the thread from waiting for ever.
            delivery.get(config.timeout().toMillis() * 2, TimeUnit.MILLISECONDS);
            outcome = new Delivery(report.domain(), uri, true, "");
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            outcome = new Delivery(report.domain(), uri, false, SmtpClientConnection.rootMessage(e));
        }
        outcomes.reportDelivered(method, outcome.sent());
        log.info("tls report", kv("policy_domain", report.domain()), kv("day", report.day().toString()),
                kv("method", method), kv("sent", outcome.sent()), kv("detail", outcome.detail()));
        return outcome;
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
