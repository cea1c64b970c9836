package io.sluice.proxy;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.util.concurrent.EventExecutor;
import io.sluice.config.HostPort;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

/**
 * The bound socket(s) of one listener. With epoll there is one socket per event loop, all on the same port
 * ({@code SO_REUSEPORT}), and each accepts on its own loop and keeps the connection there: a session is accepted,
 * served and relayed by one thread, with no hand-over between threads. Elsewhere one socket accepts on one of the
 * loops and hands each connection to the next.
 */
public final class ListeningSocket implements AutoCloseable {

    private static final int BACKLOG = 1024;

    private final List<Channel> channels;

    private ListeningSocket(List<Channel> channels) {
        this.channels = List.copyOf(channels);
    }

    /** Binds {@code address}; port 0 takes a free port, the same one for every socket. */
    public static ListeningSocket bind(Transport transport, EventLoopGroup loops, HostPort address,
                                       ChannelHandler childHandler) throws InterruptedException, IOException {
        List<Channel> channels = new ArrayList<>();
        try {
            if (!transport.epoll()) {
                channels.add(bootstrap(transport, loops, childHandler)
                        .bind(address.host(), address.port()).sync().channel());
                return new ListeningSocket(channels);
            }
            refuseIfTaken(address);
            int port = address.port();
            for (EventExecutor executor : loops) {
                EventLoop loop = (EventLoop) executor;
                Channel channel = bootstrap(transport, loop, childHandler)
                        .option(EpollChannelOption.SO_REUSEPORT, true)
                        .bind(address.host(), port).sync().channel();
                channels.add(channel);
                port = ((InetSocketAddress) channel.localAddress()).getPort();
            }
            return new ListeningSocket(channels);
        } catch (InterruptedException | IOException | RuntimeException e) {
            channels.forEach(channel -> channel.close().syncUninterruptibly());
            throw e;
        }
    }

    /**
     * Sockets sharing a port with {@code SO_REUSEPORT} would also share it with another process of the same user
     * that does the same (a second Sluice started by mistake), each getting part of the connections. A plain bind
     * first fails on any socket already listening there, as binding without sharing always did.
     */
    private static void refuseIfTaken(HostPort address) throws IOException {
        if (address.port() == 0) {
            return;
        }
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(new InetSocketAddress(address.host(), address.port()));
        }
    }

    private static ServerBootstrap bootstrap(Transport transport, EventLoopGroup loops, ChannelHandler childHandler) {
        return new ServerBootstrap()
                .group(loops, loops)
                .channel(transport.serverChannelClass())
                .option(ChannelOption.SO_BACKLOG, BACKLOG)
                .option(ChannelOption.SO_REUSEADDR, true)
                // No TCP_NODELAY here: Netty sets it on every socket already, and setting it again costs a call.
                .childHandler(childHandler);
    }

    public InetSocketAddress localAddress() {
        return (InetSocketAddress) channels.get(0).localAddress();
    }

    /** Stops accepting; connections already accepted go on. */
    @Override
    public void close() {
        channels.forEach(channel -> channel.close().syncUninterruptibly());
    }
}
