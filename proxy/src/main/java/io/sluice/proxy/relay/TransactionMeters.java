package io.sluice.proxy.relay;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.sluice.proxy.session.FinishedTransaction;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Counts finished mail transactions: by listener, outcome and the class of the reply the client got (the next
 * hop's, for a relayed message), with their durations; and outbound ones by egress pool and source too. The
 * backend's (or remote's) error rate is the share of {@code failed} outcomes.
 */
public final class TransactionMeters {

    private final MeterRegistry registry;
    private final Map<String, Counter> transactions = new ConcurrentHashMap<>();
    private final Map<String, Timer> durations = new ConcurrentHashMap<>();
    private final Map<String, Counter> deliveries = new ConcurrentHashMap<>();

    public TransactionMeters(MeterRegistry registry) {
        this.registry = registry;
    }

    /** The registry the listeners' other meters (certificates, backends) go to. */
    public MeterRegistry registry() {
        return registry;
    }

    /** Registers a listener's series at 0, so that dashboards and alerts find them before the first message. */
    public void listener(String listener) {
        transactions(listener, "delivered", 250);
        duration(listener);
    }

    /** Registers an egress source's series at 0. */
    public void source(String pool, String source) {
        deliveries(pool, source, "delivered");
    }

    /** One finished transaction of a listener. */
    public void finished(String listener, FinishedTransaction transaction) {
        transactions(listener, transaction.outcome(), transaction.reply()).increment();
        duration(listener).record(Duration.ofMillis(transaction.durationMillis()));
    }

    /** One finished outbound transaction, by the pool and source it left from (empty before one was chosen). */
    public void delivered(String pool, String source, FinishedTransaction transaction) {
        deliveries(pool, source, transaction.outcome()).increment();
    }

    private Counter transactions(String listener, String outcome, int reply) {
        String replyClass = reply == 0 ? "none" : (reply / 100) + "xx";
        return transactions.computeIfAbsent(listener + "|" + outcome + "|" + replyClass,
                key -> Counter.builder("sluice.transactions")
                        .description("mail transactions finished, by outcome and the class of the client's reply")
                        .tag("listener", listener)
                        .tag("outcome", outcome)
                        .tag("reply_class", replyClass)
                        .register(registry));
    }

    private Timer duration(String listener) {
        return durations.computeIfAbsent(listener, key -> Timer.builder("sluice.transaction.duration")
                .description("from MAIL to the reply to the message, the next hop's time included")
                .tag("listener", listener)
                .publishPercentileHistogram()
                .register(registry));
    }

    private Counter deliveries(String pool, String source, String outcome) {
        return deliveries.computeIfAbsent(pool + "|" + source + "|" + outcome,
                key -> Counter.builder("sluice.egress.transactions")
                        .description("outbound transactions finished, by egress pool, source address and outcome")
                        .tag("pool", pool)
                        .tag("source", source)
                        .tag("outcome", outcome)
                        .register(registry));
    }
}
