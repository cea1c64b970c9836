package io.sluice.loadtest.load;

import java.util.List;
import java.util.Optional;
import org.HdrHistogram.Histogram;

/**
 * What the run's senders made of their messages across retries, and each client network's share.
 *
 * @param retry          the retry schedule, if senders retried
 * @param firstAttempt   messages accepted at their first attempt
 * @param afterRetries   index {@code n}: messages accepted after {@code n} retries (index 0 unused)
 * @param givenUp        messages deferred at their last retry too: bounced
 * @param stillQueued    messages waiting for a retry when the run's deadline came
 * @param toAcceptance   from a message's first deferral to its acceptance, in the schedule's time
 * @param toGiveUp       from a message's first deferral to its giving up, in the schedule's time
 * @param networks       per client network, if the run had several
 */
public record DeliveryResult(Optional<String> retry, long firstAttempt, long[] afterRetries, long givenUp,
        long stillQueued, Delay toAcceptance, Delay toGiveUp, List<NetworkCounts> networks) {

    /** Without retries or networks. */
    public static final DeliveryResult NONE = new DeliveryResult(Optional.empty(), 0, new long[1], 0, 0,
            Delay.of(new Histogram(3)), Delay.of(new Histogram(3)), List.of());

    public DeliveryResult {
        afterRetries = afterRetries.clone();
        networks = List.copyOf(networks);
    }

    /** Messages accepted after one retry or more. */
    public long afterAnyRetry() {
        long total = 0;
        for (int i = 1; i < afterRetries.length; i++) {
            total += afterRetries[i];
        }
        return total;
    }

    @Override
    public long[] afterRetries() {
        return afterRetries.clone();
    }

    /** Percentiles of a delay, in seconds of the schedule's time. */
    public record Delay(long count, double p50, double p95, double p99, double max) {
        static Delay of(Histogram millis) {
            if (millis.getTotalCount() == 0) {
                return new Delay(0, 0, 0, 0, 0);
            }
            return new Delay(millis.getTotalCount(), millis.getValueAtPercentile(50) / 1000.0,
                    millis.getValueAtPercentile(95) / 1000.0, millis.getValueAtPercentile(99) / 1000.0,
                    millis.getMaxValue() / 1000.0);
        }
    }

    /** One client network: messages it offered (first attempts), accepted, deferred (attempts) and gave up. */
    public record NetworkCounts(String name, String group, String addresses, long offered, long accepted,
            long deferred, long givenUp) {
    }
}
