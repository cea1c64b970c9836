package io.sluice.proxy;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/** The Netty transport: native epoll on Linux where it loads, NIO elsewhere. */
public record Transport(String name, Class<? extends ServerSocketChannel> serverChannelClass,
                        Class<? extends SocketChannel> socketChannelClass, boolean epoll) {

    public static Transport best() {
        return Epoll.isAvailable()
                ? new Transport("epoll", EpollServerSocketChannel.class, EpollSocketChannel.class, true)
                : new Transport("nio", NioServerSocketChannel.class, NioSocketChannel.class, false);
    }

    /** An event loop group with named threads; 0 threads means Netty's default (2 per core). */
    public EventLoopGroup newGroup(int threads, String threadName) {
        DefaultThreadFactory factory = new DefaultThreadFactory(threadName, true);
        return epoll ? new EpollEventLoopGroup(threads, factory) : new NioEventLoopGroup(threads, factory);
    }
}
