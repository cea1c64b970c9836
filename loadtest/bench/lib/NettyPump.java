import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.concurrent.EventExecutor;
import io.sluice.proxy.NettyDefaults;

/**
 * The benchmarks' {@code pump} target: a TCP byte pump on Netty, built as Sluice's relay is (epoll, one event loop per
 * processor, each accepting on its own socket with SO_REUSEPORT, the backend connection on the client's loop, Sluice's
 * Netty settings), doing nothing else. What it adds is what the JVM and Netty cost a relay on the machine, beside what Sluice adds.
 *
 * <p>Run from the repository root with Sluice's jar on the class path:
 * {@code java -cp proxy/target/sluice.jar loadtest/bench/lib/NettyPump.java HOST LISTEN_PORT BACKEND_PORT}.
 */
public final class NettyPump {

    public static void main(String[] args) throws InterruptedException {
        NettyDefaults.apply();
        if (args.length != 3) {
            System.err.println("usage: NettyPump HOST LISTEN_PORT BACKEND_PORT");
            System.exit(2);
        }
        String host = args[0];
        int listenPort = Integer.parseInt(args[1]);
        int backendPort = Integer.parseInt(args[2]);
        EpollEventLoopGroup loops = new EpollEventLoopGroup(Runtime.getRuntime().availableProcessors());
        for (EventExecutor executor : loops) {
            EventLoop loop = (EventLoop) executor;
            new ServerBootstrap().group(loop, loop).channel(EpollServerSocketChannel.class)
                    .option(EpollChannelOption.SO_REUSEPORT, true)
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childOption(ChannelOption.AUTO_READ, false)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel client) {
                            client.pipeline().addLast(new ClientSide(host, backendPort));
                        }
                    })
                    .bind(host, listenPort).sync();
        }
        System.err.println("pump: " + host + ":" + listenPort + " -> " + host + ":" + backendPort);
    }

    /** Opens the backend connection for a client on its loop, then pumps both ways. */
    private static final class ClientSide extends ChannelInboundHandlerAdapter {
        private final String host;
        private final int backendPort;

        ClientSide(String host, int backendPort) {
            this.host = host;
            this.backendPort = backendPort;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            Channel client = ctx.channel();
            new Bootstrap().group(client.eventLoop()).channel(EpollSocketChannel.class)
                    .handler(new Pump(client))
                    .connect(host, backendPort)
                    .addListener((ChannelFutureListener) connected -> {
                        if (!connected.isSuccess()) {
                            client.close();
                            return;
                        }
                        client.pipeline().replace(this, "pump", new Pump(connected.channel()));
                        client.read();
                    });
        }
    }

    /** Writes what one side reads to the other; reads on while the other side takes it; closes both together. */
    private static final class Pump extends ChannelInboundHandlerAdapter {
        private final Channel other;

        Pump(Channel other) {
            this.other = other;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ctx.read();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object message) {
            other.writeAndFlush(message).addListener((ChannelFutureListener) written -> {
                if (written.isSuccess()) {
                    ctx.read();
                } else {
                    ctx.close();
                }
            });
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            other.close();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
