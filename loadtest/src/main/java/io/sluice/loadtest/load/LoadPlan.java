package io.sluice.loadtest.load;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;

/**
 * Everything one run does, fixed before it starts. Either open loop ({@code schedule}: sessions start at its rate
 * whatever the answers) or closed loop ({@code concurrency} sessions open at all times for {@code duration}).
 *
 * @param maxSessions sessions started at most, whatever the schedule says
 * @param grace       how long sessions still open at the end of the arrivals may take before they are cut
 * @param replyTimeout longest wait for any one reply, the greeting included
 * @param idle         how long each session stays idle after EHLO before its first message (0: not at all)
 * @param retry        when senders retry a deferred message, if they do
 * @param networks     the client networks sessions come from, each from its own loopback addresses, if several
 */
public record LoadPlan(
        InetSocketAddress target,
        Optional<Schedule> schedule,
        int concurrency,
        Duration duration,
        int messagesPerSession,
        int recipientsPerMessage,
        SizeDistribution sizes,
        Optional<AddressRange> sources,
        Optional<ProxyHeader> proxyHeader,
        long maxSessions,
        Duration grace,
        Duration replyTimeout,
        Duration idle,
        String helo,
        String senderDomain,
        String recipientDomain,
        int threads,
        Optional<RetrySchedule> retry,
        Optional<NetworkMix> networks) {

    /** Sessions at most, so a mistyped rate cannot run away. */
    public static final long DEFAULT_MAX_SESSIONS = 10_000_000;
    /** Messages a run can number: the check header's sequence is an int. */
    static final long MAX_MESSAGES = Integer.MAX_VALUE;

    /** A PROXY protocol header with a synthetic client address from {@code clients} before the session. */
    public record ProxyHeader(int version, AddressRange clients) {
        public ProxyHeader {
            if (version != 1 && version != 2) {
                throw new IllegalArgumentException("version: " + version + " (expected: 1 or 2)");
            }
        }
    }

    public LoadPlan {
        if (schedule.isPresent() == (concurrency > 0)) {
            throw new IllegalArgumentException(
                    "expected: either a schedule (open loop) or a concurrency > 0 (closed loop)");
        }
        if (schedule.isPresent()) {
            duration = schedule.get().duration();
        }
        require(duration != null && !duration.isNegative() && !duration.isZero(), "duration", duration, "> 0");
        require(messagesPerSession >= 1, "messagesPerSession", messagesPerSession, ">= 1");
        require(recipientsPerMessage >= 1, "recipientsPerMessage", recipientsPerMessage, ">= 1");
        require(maxSessions >= 1, "maxSessions", maxSessions, ">= 1");
        require(maxSessions * messagesPerSession <= MAX_MESSAGES, "maxSessions * messagesPerSession",
                maxSessions * messagesPerSession, "<= " + MAX_MESSAGES);
        require(!grace.isNegative(), "grace", grace, ">= 0");
        require(!replyTimeout.isNegative() && !replyTimeout.isZero(), "replyTimeout", replyTimeout, "> 0");
        require(!idle.isNegative(), "idle", idle, ">= 0");
        require(threads >= 0, "threads", threads, ">= 0");
        require(networks.isEmpty() || sources.isEmpty(), "sources", sources.map(Object::toString).orElse(""),
                "none with networks, whose own addresses sessions bind to");
    }

    /** Open loop at {@code schedule}, one message of 2 kB to one recipient per session, defaults elsewhere. */
    public static LoadPlan openLoop(InetSocketAddress target, Schedule schedule) {
        return defaults(target, Optional.of(schedule), 0, schedule.duration());
    }

    /** Closed loop with {@code concurrency} sessions for {@code duration}, defaults as {@link #openLoop}. */
    public static LoadPlan closedLoop(InetSocketAddress target, int concurrency, Duration duration) {
        return defaults(target, Optional.empty(), concurrency, duration);
    }

    private static LoadPlan defaults(InetSocketAddress target, Optional<Schedule> schedule, int concurrency,
            Duration duration) {
        return new LoadPlan(target, schedule, concurrency, duration, 1, 1, SizeDistribution.fixed(2000),
                Optional.empty(), Optional.empty(), DEFAULT_MAX_SESSIONS, Duration.ofSeconds(10),
                Duration.ofSeconds(30), Duration.ZERO, "load.sluice.test", "sender.sluice.test", "rcpt.sluice.test", 0,
                Optional.empty(), Optional.empty());
    }

    public LoadPlan withMessages(int perSession, int recipientsPerMessage, SizeDistribution sizes) {
        return new LoadPlan(target, schedule, concurrency, duration, perSession, recipientsPerMessage, sizes, sources,
                proxyHeader, maxSessions, grace, replyTimeout, idle, helo, senderDomain, recipientDomain, threads, retry, networks);
    }

    public LoadPlan withAddresses(Optional<AddressRange> sources, Optional<ProxyHeader> proxyHeader) {
        return new LoadPlan(target, schedule, concurrency, duration, messagesPerSession, recipientsPerMessage, sizes,
                sources, proxyHeader, maxSessions, grace, replyTimeout, idle, helo, senderDomain, recipientDomain,
                threads, retry, networks);
    }

    public LoadPlan withBounds(long maxSessions, Duration grace, Duration replyTimeout) {
        return new LoadPlan(target, schedule, concurrency, duration, messagesPerSession, recipientsPerMessage, sizes,
                sources, proxyHeader, maxSessions, grace, replyTimeout, idle, helo, senderDomain, recipientDomain,
                threads, retry, networks);
    }

    public LoadPlan withIdle(Duration idle) {
        return new LoadPlan(target, schedule, concurrency, duration, messagesPerSession, recipientsPerMessage, sizes,
                sources, proxyHeader, maxSessions, grace, replyTimeout, idle, helo, senderDomain, recipientDomain,
                threads, retry, networks);
    }

    public LoadPlan withNames(String helo, String senderDomain, String recipientDomain) {
        return new LoadPlan(target, schedule, concurrency, duration, messagesPerSession, recipientsPerMessage, sizes,
                sources, proxyHeader, maxSessions, grace, replyTimeout, idle, helo, senderDomain, recipientDomain,
                threads, retry, networks);
    }

    public LoadPlan withThreads(int threads) {
        return new LoadPlan(target, schedule, concurrency, duration, messagesPerSession, recipientsPerMessage, sizes,
                sources, proxyHeader, maxSessions, grace, replyTimeout, idle, helo, senderDomain, recipientDomain,
                threads, retry, networks);
    }

    /** Senders that retry deferred messages on {@code retry}, and sessions from {@code networks}. */
    public LoadPlan withSenders(Optional<RetrySchedule> retry, Optional<NetworkMix> networks) {
        return new LoadPlan(target, schedule, concurrency, duration, messagesPerSession, recipientsPerMessage, sizes,
                sources, proxyHeader, maxSessions, grace, replyTimeout, idle, helo, senderDomain, recipientDomain,
                threads, retry, networks);
    }

    /** How long past the arrivals the run may go on: retries' real span, then the grace. */
    public Duration tail() {
        return retry.map(RetrySchedule::realSpan).orElse(Duration.ZERO).plus(grace);
    }

    /**
     * The same sessions for {@code length}, at the schedule's peak rate or the same concurrency: to warm up the
     * generator's own code before a run is measured.
     */
    public LoadPlan warmup(Duration length) {
        Optional<Schedule> constant = schedule.map(s -> Schedule.constant(s.peakRate(), length));
        return new LoadPlan(target, constant, concurrency, length, messagesPerSession, recipientsPerMessage, sizes,
                sources, proxyHeader, maxSessions, Duration.ofSeconds(2), replyTimeout, idle, helo, senderDomain,
                recipientDomain, threads, retry, networks);
    }

    /** {@code open loop 200/s:10s} or {@code closed loop 50 sessions for 30s}. */
    public String arrivals() {
        return schedule.map(s -> "open loop " + s)
                .orElseGet(() -> "closed loop " + concurrency + " sessions for " + duration.toSeconds() + "s");
    }

    private static void require(boolean ok, String name, Object value, String expected) {
        if (!ok) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: " + expected + ")");
        }
    }
}
