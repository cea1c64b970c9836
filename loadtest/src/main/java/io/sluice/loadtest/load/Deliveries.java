package io.sluice.loadtest.load;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;

/**
 * What became of each message across its attempts, as its sender sees it: delivered at the first attempt or after
 * some retries, given up after the last, or still queued at the end of the run; and per client network, what it
 * offered and what was accepted. Written from the event loops.
 */
final class Deliveries {

    /** Longest delay from first deferral to acceptance recorded, in schedule milliseconds: a week. */
    private static final long MAX_DELAY_MILLIS = 7L * 24 * 3600 * 1000;

    private final Optional<RetrySchedule> retry;
    private final Optional<NetworkMix> networks;
    private final LongAdder firstAttempt = new LongAdder();
    /** Index {@code n}: delivered after {@code n} retries (index 0 unused). */
    private final AtomicLongArray afterRetries;
    private final LongAdder givenUp = new LongAdder();
    private final LongAdder queued = new LongAdder();
    /** From a message's first deferral to its acceptance, in milliseconds of the schedule's time. */
    private final Histogram deferralToAcceptance = new Histogram(MAX_DELAY_MILLIS, 3);
    /** From a message's first deferral to its giving up, likewise. */
    private final Histogram deferralToGiveUp = new Histogram(MAX_DELAY_MILLIS, 3);
    private final AtomicLongArray offered;
    private final AtomicLongArray accepted;
    private final AtomicLongArray deferred;
    private final AtomicLongArray networkGivenUp;

    Deliveries(Optional<RetrySchedule> retry, Optional<NetworkMix> networks) {
        this.retry = retry;
        this.networks = networks;
        this.afterRetries = new AtomicLongArray(retry.map(RetrySchedule::retries).orElse(0) + 1);
        int count = networks.map(n -> n.networks().size()).orElse(0);
        this.offered = new AtomicLongArray(count);
        this.accepted = new AtomicLongArray(count);
        this.deferred = new AtomicLongArray(count);
        this.networkGivenUp = new AtomicLongArray(count);
    }

    /** A first attempt at {@code messages} messages from {@code network} (-1 without networks) began. */
    void offered(int network, int messages) {
        if (network >= 0) {
            offered.addAndGet(network, messages);
        }
    }

    /**
     * Attempt {@code retries + 1} at a message ended with {@code outcome}, {@code sinceDeferral} nanoseconds after
     * its first deferral (-1 at a first attempt).
     *
     * @return true if the message is to be retried
     */
    boolean ended(int network, int retries, long sinceDeferral, MessageOutcome outcome) {
        if (outcome == MessageOutcome.ADMITTED) {
            if (network >= 0) {
                accepted.incrementAndGet(network);
            }
            if (retries == 0) {
                firstAttempt.increment();
            } else {
                afterRetries.incrementAndGet(retries);
                record(deferralToAcceptance, sinceDeferral);
            }
            return false;
        }
        if (outcome != MessageOutcome.TEMPFAILED || retry.isEmpty()) {
            return false;
        }
        if (network >= 0) {
            deferred.incrementAndGet(network);
        }
        if (retries < retry.get().retries()) {
            queued.increment();
            return true;
        }
        givenUp.increment();
        if (network >= 0) {
            networkGivenUp.incrementAndGet(network);
        }
        record(deferralToGiveUp, sinceDeferral);
        return false;
    }

    /** A queued message's retry began (or was dropped at the end of the run). */
    void dequeued() {
        queued.decrement();
    }

    /** Messages waiting for a retry now. */
    long queued() {
        return queued.sum();
    }

    private void record(Histogram histogram, long realNanos) {
        double scheduleMillis = retry.map(r -> r.scheduleSeconds(Math.max(0, realNanos)) * 1000).orElse(0.0);
        synchronized (histogram) {
            histogram.recordValue(Math.min(MAX_DELAY_MILLIS, (long) scheduleMillis));
        }
    }

    /** The counts at the end of the run. */
    DeliveryResult result() {
        long[] after = new long[afterRetries.length()];
        for (int i = 1; i < after.length; i++) {
            after[i] = afterRetries.get(i);
        }
        List<DeliveryResult.NetworkCounts> perNetwork = new ArrayList<>();
        networks.ifPresent(mix -> {
            for (NetworkMix.Network network : mix.networks()) {
                int i = network.index();
                perNetwork.add(new DeliveryResult.NetworkCounts(mix.name(network), network.group(),
                        network.addresses().toString(), offered.get(i), accepted.get(i), deferred.get(i),
                        networkGivenUp.get(i)));
            }
        });
        DeliveryResult.Delay toAcceptance;
        DeliveryResult.Delay toGiveUp;
        synchronized (deferralToAcceptance) {
            toAcceptance = DeliveryResult.Delay.of(deferralToAcceptance);
        }
        synchronized (deferralToGiveUp) {
            toGiveUp = DeliveryResult.Delay.of(deferralToGiveUp);
        }
        return new DeliveryResult(retry.map(Object::toString), firstAttempt.sum(), after, givenUp.sum(),
                queued.sum(), toAcceptance, toGiveUp, perNetwork);
    }
}
