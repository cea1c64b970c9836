package io.sluice.loadtest.load;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.HdrHistogram.Histogram;

/**
 * Runs a {@link LoadPlan} against a real server: starts sessions on time (open loop) or keeps a number of them
 * open (closed loop), samples the counters once a second, and stops by itself at the end of the plan plus its
 * grace, cutting whatever is still open.
 */
public final class LoadGenerator {

    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    /** How often the open-loop pacer wakes up to start the sessions that are due. */
    private static final long PACING_NANOS = 500_000;
    /** Time given to cut sessions to report their end. */
    private static final long CUT_WAIT_NANOS = 3 * NANOS_PER_SECOND;

    private final LoadPlan plan;
    private final Optional<Backend> backend;
    private final Consumer<Second> onSecond;
    private final String run = Long.toString(ThreadLocalRandom.current().nextLong(36L * 36 * 36 * 36 * 36 * 36,
            36L * 36 * 36 * 36 * 36 * 36 * 36), 36);
    private final LoadStats stats = new LoadStats();
    private final MessageFactory messages;
    private final AtomicInteger nextSeq = new AtomicInteger();
    private final AtomicLong sessionsStarted = new AtomicLong();
    /**
     * Closed loop: sessions that ended with the next one's start still to run. Counted until that start has run, so
     * that the run does not take the moment between the two, with no session open, for its end.
     */
    private final AtomicInteger startsPending = new AtomicInteger();
    private final ChannelGroup channels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final Deliveries deliveries;
    /** Set at the deadline: retries that come due after it stay queued. */
    private volatile boolean stopping;

    private volatile long startNanos;
    private volatile long endNanos;
    private Bootstrap bootstrap;

    /**
     * @param backend  the server behind the target, if it runs in this process, for its received rate and checks
     * @param onSecond called once a second on the sampling thread with the second just past
     */
    public LoadGenerator(LoadPlan plan, Optional<Backend> backend, Consumer<Second> onSecond) {
        this.plan = plan;
        this.backend = backend;
        this.onSecond = onSecond;
        // A receiver that remembers whom it deferred (Sluice's retry priority) keys on the sender: retrying
        // senders are many, one per message here.
        this.messages = new MessageFactory(run, plan.senderDomain(), plan.retry().isPresent());
        this.deliveries = new Deliveries(plan.retry(), plan.networks());
    }

    /**
     * Runs the plan to its end; bounded by the plan's duration, the real span of its retries and its grace, and by
     * its session count (each retry is a session of one kept message, at most as many per message as the schedule
     * has waits).
     */
    public LoadResult run() throws InterruptedException {
        int threads = plan.threads() == 0 ? Runtime.getRuntime().availableProcessors() : plan.threads();
        boolean epoll = Epoll.isAvailable();
        EventLoopGroup group = epoll ? new EpollEventLoopGroup(threads, new DefaultThreadFactory("load-io"))
                : new NioEventLoopGroup(threads, new DefaultThreadFactory("load-io"));
        bootstrap = new Bootstrap().group(group)
                .channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_REUSEADDR, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE,
                        plan.replyTimeout().toMillis()));
        Sampler sampler = new Sampler();
        Instant startedAt = Instant.now();
        startNanos = System.nanoTime();
        endNanos = startNanos + plan.duration().toNanos();
        long deadline = endNanos + plan.tail().toNanos();
        Thread sampling = new Thread(sampler::loop, "load-sampler");
        sampling.setDaemon(true);
        sampling.start();
        long cut = 0;
        try {
            if (plan.schedule().isPresent()) {
                pace(plan.schedule().get());
            } else {
                for (int i = 0; i < plan.concurrency(); i++) {
                    startNext();
                }
            }
            while (System.nanoTime() - deadline < 0
                    && (open() > 0 || startsPending.get() > 0 || deliveries.queued() > 0)) {
                LockSupport.parkNanos(10_000_000);
            }
            stopping = true;
            cut = open();
            if (cut > 0) {
                cutAll();
            }
        } finally {
            sampler.stop();
            sampling.join(TimeUnit.SECONDS.toMillis(5));
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        List<StageLatency> latency = sampler.latency();
        long elapsed = Math.max(1, sampler.lastSampleNanos - startNanos);
        Optional<Long> received = backend.map(b -> b.received() - sampler.backendAtStart);
        return new LoadResult(run, plan, startedAt, Duration.ofNanos(elapsed), stats.counts(), sampler.rows,
                latency, StageLatency.of(null, sampler.transactions), keyed(stats.replies()), keyed(stats.examples()),
                received, backend.flatMap(b -> b.check(run, stats.admitted())), cut, deliveries.result());
    }

    private long open() {
        return stats.counts().openSessions();
    }

    /** Open loop: starts every session the schedule has made due, until its end or the session bound. */
    private void pace(Schedule schedule) {
        while (true) {
            long now = System.nanoTime();
            boolean over = now - endNanos >= 0;
            // At the end, the arrivals due exactly at the end too.
            long due = over ? schedule.totalArrivals()
                    : (long) Math.floor(schedule.arrivalsBy(now - startNanos) + 1e-9);
            while (sessionsStarted.get() < due && startSession()) {
                // start every session that is due
            }
            if (over || sessionsStarted.get() >= plan.maxSessions()) {
                return;
            }
            LockSupport.parkNanos(PACING_NANOS);
        }
    }

    /** Closed loop: the next session, unless the arrivals are over. */
    private void startNext() {
        if (System.nanoTime() - endNanos < 0) {
            startSession();
        }
    }

    /** Starts one session unless the session bound is reached; false if not started. */
    private boolean startSession() {
        if (sessionsStarted.incrementAndGet() > plan.maxSessions()) {
            return false;
        }
        NetworkMix.Network network = plan.networks().map(NetworkMix::next).orElse(null);
        int index = network == null ? -1 : network.index();
        stats.sessionStarted(plan.messagesPerSession());
        deliveries.offered(index, plan.messagesPerSession());
        // Closed loop: each session's end starts the next, from a fresh task so failures cannot recurse.
        Runnable onEnd = plan.schedule().isPresent() ? () -> { } : () -> {
            startsPending.incrementAndGet();
            bootstrap.config().group().next().execute(() -> {
                try {
                    startNext();
                } finally {
                    startsPending.decrementAndGet();
                }
            });
        };
        connect(plan.messagesPerSession(), new ScriptMessages(-1), network,
                (seq, outcome) -> messageEnded(seq, outcome, index, 0, -1), onEnd);
        return true;
    }

    /** A message was deferred {@code retries} times: its sender tries it once more, alone in a new session. */
    private void retry(int seq, int network, int retries, long firstDeferral) {
        if (stopping) {
            return; // still queued at the deadline
        }
        deliveries.dequeued();
        stats.sessionStarted(0);
        NetworkMix.Network from = network < 0 ? null : plan.networks().orElseThrow().networks().get(network);
        connect(1, new ScriptMessages(seq), from,
                (s, outcome) -> messageEnded(s, outcome, network, retries, firstDeferral), () -> { });
    }

    /** One attempt at a message ended: counted, and queued for a retry if its sender would retry it. */
    private void messageEnded(int seq, MessageOutcome outcome, int network, int retries, long firstDeferral) {
        stats.messageEnded(seq, outcome);
        long now = System.nanoTime();
        if (!deliveries.ended(network, retries, firstDeferral < 0 ? -1 : now - firstDeferral, outcome)) {
            return;
        }
        long first = firstDeferral < 0 ? now : firstDeferral;
        int next = retries + 1;
        try {
            bootstrap.config().group().schedule(() -> retry(seq, network, next, first),
                    plan.retry().orElseThrow().realWaitNanos(next), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            // The run is over and its event loops are shutting down: the message stays queued.
        }
    }

    /** Opens one session carrying {@code messages} messages, from {@code network}'s addresses if there is one. */
    private void connect(int messageCount, SessionScript.Messages source, NetworkMix.Network network,
            SessionScript.Listener listener, Runnable onEnd) {
        SessionScript script = new SessionScript(messageCount, plan.recipientsPerMessage(), plan.helo(),
                plan.recipientDomain(), source, listener);
        long connectStartedAt = System.nanoTime();
        InetSocketAddress local = network != null ? new InetSocketAddress(network.addresses().next(), 0)
                : plan.sources().map(range -> new InetSocketAddress(range.next(), 0)).orElse(null);
        SessionHandler handler = new SessionHandler(script, stats, plan.replyTimeout().toNanos(), plan.idle().toNanos(),
                proxyHeader(network == null ? null : local.getAddress()), connectStartedAt, onEnd);
        ChannelFuture connect = bootstrap.clone().handler(handler).connect(plan.target(), local);
        channels.add(connect.channel());
        connect.addListener(f -> {
            if (!f.isSuccess()) {
                SessionHandler.connectFailed(script, stats, f.cause());
                stats.sessionEnded();
                onEnd.run();
            }
        });
    }

    /** The PROXY header to send first, if any; it names {@code client}, or else one of the plan's clients. */
    private HAProxyMessage proxyHeader(InetAddress client) {
        if (plan.proxyHeader().isEmpty()) {
            return null;
        }
        LoadPlan.ProxyHeader header = plan.proxyHeader().get();
        if (client == null) {
            client = header.clients().next();
        }
        boolean v4 = client instanceof Inet4Address;
        // The header names both ends in one family; a server address of the other family becomes loopback.
        InetAddress server = plan.target().getAddress();
        String serverAddress = v4 == server instanceof Inet4Address ? server.getHostAddress()
                : v4 ? "127.0.0.1" : "::1";
        return new HAProxyMessage(header.version() == 1 ? HAProxyProtocolVersion.V1 : HAProxyProtocolVersion.V2,
                HAProxyCommand.PROXY, v4 ? HAProxyProxiedProtocol.TCP4 : HAProxyProxiedProtocol.TCP6,
                client.getHostAddress(), serverAddress,
                ThreadLocalRandom.current().nextInt(1024, 65536), plan.target().getPort());
    }

    private void cutAll() {
        for (Channel channel : channels) {
            SessionHandler handler = channel.pipeline().get(SessionHandler.class);
            if (handler != null) {
                channel.eventLoop().execute(() -> handler.cut(channel));
            }
        }
        long until = System.nanoTime() + CUT_WAIT_NANOS;
        while (open() > 0 && System.nanoTime() - until < 0) {
            LockSupport.parkNanos(10_000_000);
        }
    }

    private static <V> Map<String, V> keyed(Map<LoadStats.ReplyKey, V> byKey) {
        Map<String, V> keyed = new LinkedHashMap<>();
        byKey.forEach((key, value) -> keyed.put(key.stage().label() + " " + key.code(), value));
        return keyed;
    }

    /**
     * Numbers messages across the run and builds them with a size drawn from the plan; or, for a retry, gives the
     * one kept message its number again, so that the sink's ledger sees the same message.
     */
    private final class ScriptMessages implements SessionScript.Messages {
        private final int kept;

        /** @param kept the number of the message a retry carries, or -1 for new messages */
        ScriptMessages(int kept) {
            this.kept = kept;
        }

        @Override
        public int nextSeq() {
            return kept >= 0 ? kept : nextSeq.getAndIncrement();
        }

        @Override
        public byte[] content(int seq, String recipient) {
            // The size comes from the message's number, so that a retry sends the same content.
            return messages.content(seq, plan.sizes().sample(new SplittableRandom(seq)), recipient);
        }

        @Override
        public String sender(int seq) {
            return messages.sender(seq);
        }
    }

    /** Once a second: the counters' change, the backend's, and the latency of the second. */
    private final class Sampler {
        final List<Second> rows = new ArrayList<>();
        final Map<Stage, Histogram> totals = new EnumMap<>(Stage.class);
        final Histogram transactions = new Histogram(LoadStats.MAX_LATENCY_MICROS, 3);
        private Histogram transactionReuse;
        final long backendAtStart = backend.map(Backend::received).orElse(0L);
        volatile boolean stopped;
        volatile long lastSampleNanos;
        private Counts previous = Counts.ZERO;
        private long previousBackend = backendAtStart;
        /** One recycled interval histogram per stage: a recorder takes back only its own. */
        private final Map<Stage, Histogram> reuse = new EnumMap<>(Stage.class);

        Sampler() {
            for (Stage stage : Stage.values()) {
                totals.put(stage, new Histogram(LoadStats.MAX_LATENCY_MICROS, 3));
            }
        }

        void loop() {
            long next = startNanos + NANOS_PER_SECOND;
            while (!stopped) {
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(Math.min(wait, 50_000_000));
                    continue;
                }
                sample();
                next += NANOS_PER_SECOND;
            }
        }

        void stop() {
            stopped = true;
        }

        /** Called once more by {@link #latency} after the loop ended, for the last part of a second. */
        synchronized void sample() {
            transactionReuse = stats.transactionInterval(transactionReuse);
            transactions.add(transactionReuse);
            Counts now = stats.counts();
            long backendNow = backend.map(Backend::received).orElse(-1L);
            // Stamped after the counters are read: a late sampler must not make a long second look like a fast one.
            long at = System.nanoTime();
            long start = lastSampleNanos == 0 ? startNanos : lastSampleNanos;
            Histogram second = new Histogram(LoadStats.MAX_LATENCY_MICROS, 3);
            for (Stage stage : Stage.values()) {
                Histogram interval = stats.interval(stage, reuse.get(stage));
                reuse.put(stage, interval);
                totals.get(stage).add(interval);
                second.add(interval);
            }
            long backendDelta = backend.isPresent() ? backendNow - previousBackend : -1;
            int index = rows.size();
            rows.add(new Second(index + 1, (at - start) / (double) NANOS_PER_SECOND, now.minus(previous), now,
                    backendDelta, StageLatency.millis(second.getValueAtPercentile(50)),
                    StageLatency.millis(second.getValueAtPercentile(99)),
                    plan.schedule().map(s -> s.rateAt(start - startNanos)).orElse(0.0)));
            previous = now;
            previousBackend = backendNow;
            lastSampleNanos = at;
            onSecond.accept(rows.get(index));
        }

        List<StageLatency> latency() {
            sample();
            List<StageLatency> list = new ArrayList<>();
            totals.forEach((stage, h) -> {
                if (h.getTotalCount() > 0) {
                    list.add(StageLatency.of(stage, h));
                }
            });
            return list;
        }
    }


    @Override
    public String toString() {
        return String.format(Locale.ROOT, "LoadGenerator[%s, %s]", run, plan.arrivals());
    }
}
