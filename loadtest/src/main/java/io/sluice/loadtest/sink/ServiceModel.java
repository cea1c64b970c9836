package io.sluice.loadtest.sink;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * How fast the sink takes messages, as a backend MTA with a finite capacity does: each message whose data has
 * ended gets a time at which the reply to its final dot may go out. Messages wait their turn in arrival order, so
 * overload shows as the latency of that reply. The model keeps no message: one connection waits for at most one
 * reply (it reads nothing else meanwhile), so the messages waiting are bounded by the connections held.
 *
 * <p>Times are {@link System#nanoTime} values; {@link #begin} sets the start that schedule offsets count from.
 * Shared by every connection of a sink; thread-safe.
 */
public abstract sealed class ServiceModel permits ServiceModel.Unlimited, ServiceModel.Paced, ServiceModel.Workers {

    /** Most workers accepted; the model keeps one completion time per worker. */
    static final int MAX_WORKERS = 100_000;
    /** Longest service time accepted. */
    static final Duration MAX_SERVICE_TIME = Duration.ofHours(1);

    private long origin;
    /** Arrivals are taken in order: a thread that read the clock before another got the lock goes after it. */
    private long lastArrival = Long.MIN_VALUE;

    /** Every message is answered at once (the sink's default). */
    public static ServiceModel unlimited() {
        return new Unlimited();
    }

    /** At most the schedule's rate: one message per interval, the interval of the step in force at its turn. */
    public static ServiceModel capacity(CapacitySchedule schedule) {
        return new Paced(schedule);
    }

    /** {@code workers} messages in service at once, each taking {@code serviceTime}; more wait for a worker. */
    public static ServiceModel workers(int workers, Duration serviceTime) {
        if (workers < 1 || workers > MAX_WORKERS) {
            throw new IllegalArgumentException("workers: " + workers + " (expected: 1-" + MAX_WORKERS + ")");
        }
        if (serviceTime == null || serviceTime.isNegative() || serviceTime.isZero()
                || serviceTime.compareTo(MAX_SERVICE_TIME) > 0) {
            throw new IllegalArgumentException("service-time: " + serviceTime + " (expected: > 0 and <= 1h)");
        }
        return new Workers(workers, serviceTime.toNanos());
    }

    /** Sets the start that schedule offsets count from; called once when the sink starts listening. */
    synchronized void begin(long nanoTime) {
        origin = nanoTime;
        lastArrival = Long.MIN_VALUE;
    }

    /** The start that schedule offsets count from ({@link System#nanoTime}). */
    final synchronized long origin() {
        return origin;
    }

    /** When the reply to a final dot seen at {@code arrival} may be sent (never before {@code arrival}). */
    final synchronized long replyAt(long arrival) {
        long at = Math.max(arrival - origin, lastArrival);
        lastArrival = at;
        return origin + turn(at);
    }

    /** The index of the plateau {@code nanoTime} falls in, for the latency reported per plateau. */
    final int plateauAt(long nanoTime) {
        return plateauAtOffset(nanoTime - origin);
    }

    /** One label per plateau, in order: a rate step, or (by default) the whole run. */
    List<String> plateaus() {
        return List.of(toString());
    }

    /** When, as an offset from the start, the plateau with this index begins. */
    long plateauStart(int index) {
        return 0;
    }

    int plateauAtOffset(long offset) {
        return 0;
    }

    /** The reply time, as an offset, for an arrival at offset {@code at}; called in arrival order. */
    abstract long turn(long at);

    /** Answers at once. */
    static final class Unlimited extends ServiceModel {
        @Override
        long turn(long at) {
            return at;
        }

        @Override
        public String toString() {
            return "unlimited";
        }
    }

    /**
     * A server that takes one message per unit of the area under the rate: the next message no sooner than the rate,
     * integrated from the last one's turn, makes one whole message. At a constant rate that is one every
     * {@code 1/rate}; across a step, the part of the interval before it counts at the old rate and the rest at the
     * new one, so a busy sink takes what the schedule allows within one message over any stretch, less the turns'
     * rounding up to the nanosecond (each turn counts from the rounded one before, so a long busy period runs behind the
     * schedule by under a nanosecond per message: never faster than the capacity). An idle sink answers at once.
     */
    static final class Paced extends ServiceModel {
        private static final double NANOS_PER_SECOND = 1e9;
        private final CapacitySchedule schedule;
        /** The last message's turn, as an offset; none yet at first. */
        private long last = Long.MIN_VALUE;

        Paced(CapacitySchedule schedule) {
            this.schedule = schedule;
        }

        @Override
        long turn(long at) {
            long start = last == Long.MIN_VALUE ? at : Math.max(at, nextAfter(last));
            last = start;
            return start;
        }

        /** The earliest time after {@code from} by which the schedule allows one whole message. */
        private long nextAfter(long from) {
            List<CapacitySchedule.Step> steps = schedule.steps();
            double need = 1;
            long t = from;
            for (int i = schedule.stepAt(from); ; i++) {
                double rate = steps.get(i).rate();
                if (i + 1 == steps.size()) {
                    return t + (long) Math.ceil(need * NANOS_PER_SECOND / rate);
                }
                long end = steps.get(i + 1).from().toNanos();
                double here = rate * (end - t) / NANOS_PER_SECOND;
                if (here >= need) {
                    return t + (long) Math.ceil(need * NANOS_PER_SECOND / rate);
                }
                need -= here;
                t = end;
            }
        }

        @Override
        List<String> plateaus() {
            List<String> labels = new ArrayList<>();
            for (CapacitySchedule.Step step : schedule.steps()) {
                labels.add(CapacitySchedule.formatRate(step.rate()) + " from " + CapacitySchedule.format(step.from()));
            }
            return labels;
        }

        @Override
        long plateauStart(int index) {
            return schedule.steps().get(index).from().toNanos();
        }

        @Override
        int plateauAtOffset(long offset) {
            return schedule.stepAt(offset);
        }

        @Override
        public String toString() {
            return "capacity " + schedule;
        }
    }

    /**
     * {@code n} workers with a fixed service time, taken first come first served. With one service time for all,
     * completions come in arrival order, so the worker free soonest is the one that took the message {@code n}
     * arrivals back: a ring of the last {@code n} completion times is the whole state.
     */
    static final class Workers extends ServiceModel {
        private final long serviceNanos;
        private final long[] completions;
        private int next;

        Workers(int workers, long serviceNanos) {
            this.serviceNanos = serviceNanos;
            this.completions = new long[workers];
            java.util.Arrays.fill(completions, Long.MIN_VALUE);
        }

        @Override
        long turn(long at) {
            long start = Math.max(at, completions[next]);
            long done = start + serviceNanos;
            completions[next] = done;
            next = next + 1 == completions.length ? 0 : next + 1;
            return done;
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%d workers, service time %dms (%.1f/s)", completions.length,
                    serviceNanos / 1_000_000, completions.length * 1e9 / serviceNanos);
        }
    }
}
