package io.sluice.loadtest.sink;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.sluice.loadtest.cli.HostPorts;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/** A listening SMTP sink: one Netty server whose connections each get a {@link SinkHandler}. */
final class SinkServer implements AutoCloseable {

    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final Channel channel;
    private final SinkStats stats;
    private final ServiceModel service;
    private final String transport;
    private final AtomicBoolean closed = new AtomicBoolean();

    private SinkServer(EventLoopGroup boss, EventLoopGroup workers, Channel channel, SinkStats stats,
            ServiceModel service, String transport) {
        this.boss = boss;
        this.workers = workers;
        this.channel = channel;
        this.stats = stats;
        this.service = service;
        this.transport = transport;
    }

    /**
     * Binds and starts serving.
     *
     * @param threads event loop threads for connections, or 0 for one per core
     */
    static SinkServer start(InetSocketAddress listen, String hostname, int threads) throws IOException {
        return start(listen, hostname, threads, FaultPlan.NONE);
    }

    /** Binds and starts serving, injecting {@code faults}. */
    static SinkServer start(InetSocketAddress listen, String hostname, int threads, FaultPlan faults)
            throws IOException {
        return start(listen, hostname, threads, faults, ServiceModel.unlimited());
    }

    /**
     * Binds and starts serving, injecting {@code faults} and answering final dots in turn by {@code service}, whose
     * schedule starts now. A service model belongs to one server.
     */
    static SinkServer start(InetSocketAddress listen, String hostname, int threads, FaultPlan faults,
            ServiceModel service) throws IOException {
        if (threads < 0) {
            throw new IllegalArgumentException("threads: " + threads + " (expected: >= 0)");
        }
        int workerThreads = threads == 0 ? Runtime.getRuntime().availableProcessors() : threads;
        SinkReplies replies = new SinkReplies(hostname);
        SinkStats stats = new SinkStats(service.plateaus().size());
        boolean epoll = Epoll.isAvailable();
        EventLoopGroup boss = epoll
                ? new EpollEventLoopGroup(1, new DefaultThreadFactory("sink-accept"))
                : new NioEventLoopGroup(1, new DefaultThreadFactory("sink-accept"));
        EventLoopGroup workers = epoll
                ? new EpollEventLoopGroup(workerThreads, new DefaultThreadFactory("sink-io"))
                : new NioEventLoopGroup(workerThreads, new DefaultThreadFactory("sink-io"));
        Class<? extends ServerChannel> channelType = epoll ? EpollServerSocketChannel.class
                : NioServerSocketChannel.class;
        ChannelFuture bound = new ServerBootstrap()
                .group(boss, workers)
                .channel(channelType)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(32 * 1024, 64 * 1024))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast("sink", new SinkHandler(replies, stats, faults, service));
                    }
                })
                .bind(listen)
                .awaitUninterruptibly();
        if (!bound.isSuccess()) {
            boss.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            workers.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            Throwable cause = bound.cause();
            throw new IOException("cannot listen on " + HostPorts.format(listen) + ": " + cause.getMessage(), cause);
        }
        service.begin(System.nanoTime());
        return new SinkServer(boss, workers, bound.channel(), stats, service, epoll ? "epoll" : "nio");
    }

    InetSocketAddress localAddress() {
        return (InetSocketAddress) channel.localAddress();
    }

    SinkStats stats() {
        return stats;
    }

    ServiceModel service() {
        return service;
    }

    /** {@code epoll} or {@code nio}. */
    String transport() {
        return transport;
    }

    /** Stops accepting, closes every connection and waits briefly for the event loops to end. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        channel.close().syncUninterruptibly();
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        boss.terminationFuture().awaitUninterruptibly(3, TimeUnit.SECONDS);
        workers.terminationFuture().awaitUninterruptibly(3, TimeUnit.SECONDS);
    }
}
