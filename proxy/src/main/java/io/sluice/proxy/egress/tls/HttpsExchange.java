package io.sluice.proxy.egress.tls;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Predicate;
import javax.net.ssl.SSLParameters;

/**
 * One HTTPS request to a host a destination domain named: to the first of its addresses the relay may reach (the
 * domain could otherwise point it at an internal service), with a certificate valid for the host's name from the
 * trusted authorities, the whole exchange (connect included) under a time limit, a response the HTTP decoder could
 * not read a failure whatever its status line said, and the connection closed once the result is known. MTA-STS
 * policy fetches and TLS report posts both go this way.
 *
 * <p>Netty rather than the JDK's HttpClient: on Java 17 that client resolves names only through the host's resolver,
 * which would bypass the configured DNS servers.
 */
final class HttpsExchange {

    private final SslContext tls;
    private final Predicate<InetAddress> permitted;
    private final EventLoopGroup group;
    private final Class<? extends SocketChannel> channelClass;

    /** @param permitted whether an address may be connected to (the forbidden destinations are not) */
    HttpsExchange(SslContext tls, Predicate<InetAddress> permitted, EventLoopGroup group,
                  Class<? extends SocketChannel> channelClass) {
        this.tls = tls;
        this.permitted = permitted;
        this.group = group;
        this.channelClass = channelClass;
    }

    /**
     * Sends {@code request} (ownership passes) to {@code host} at the first of its {@code addresses} that is
     * permitted, its response read by the handler {@code answer} makes for the result.
     *
     * @param failure the exception for a failure of the exchange itself, from its message and cause (or null)
     */
    <T> CompletableFuture<T> send(String host, List<InetAddress> addresses, int port, Duration timeout,
                                  FullHttpRequest request, Function<CompletableFuture<T>, ChannelHandler> answer,
                                  BiFunction<String, Throwable, Exception> failure) {
        InetAddress address = addresses.stream().filter(permitted).findFirst().orElse(null);
        if (address == null) {
            ReferenceCountUtil.release(request);
            return CompletableFuture.failedFuture(failure.apply(addresses.isEmpty() ? host + " has no address"
                    : host + " resolves to forbidden destinations only", null));
        }
        CompletableFuture<T> result = new CompletableFuture<>();
        Bootstrap bootstrap = new Bootstrap().group(group).channel(channelClass)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()))
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel channel) {
                        SslHandler ssl = tls.newHandler(channel.alloc(), host, port);
                        SSLParameters parameters = ssl.engine().getSSLParameters();
                        // The certificate must be valid for the host's name (RFC 8461 §3.3, RFC 8460 §5.2).
                        parameters.setEndpointIdentificationAlgorithm("HTTPS");
                        ssl.engine().setSSLParameters(parameters);
                        channel.pipeline().addLast("tls", ssl)
                                .addLast("http", new HttpClientCodec(4096, 8192, 8192))
                                .addLast("decoded", new Decoded(host, result, failure))
                                .addLast("answer", answer.apply(result));
                    }
                });
        ChannelFuture connect = bootstrap.connect(new InetSocketAddress(address, port));
        Channel channel = connect.channel();
        // On the group, not the channel's loop: a channel that failed to register has none.
        var expiry = group.next().schedule(() -> {
            result.completeExceptionally(failure.apply(host + " did not answer within " + timeout, null));
            channel.close();
        }, timeout.toMillis(), TimeUnit.MILLISECONDS);
        connect.addListener(done -> {
            if (done.isSuccess()) {
                channel.writeAndFlush(request);
            } else {
                ReferenceCountUtil.release(request);
                result.completeExceptionally(failure.apply("cannot connect to " + host + ": " + done.cause(),
                        done.cause()));
            }
        });
        result.whenComplete((answered, error) -> {
            expiry.cancel(false);
            channel.close();
        });
        return result;
    }

    /** Fails the exchange on a part of the response the decoder could not read, before the answer sees it. */
    private static final class Decoded extends ChannelInboundHandlerAdapter {
        private final String host;
        private final CompletableFuture<?> result;
        private final BiFunction<String, Throwable, Exception> failure;

        Decoded(String host, CompletableFuture<?> result, BiFunction<String, Throwable, Exception> failure) {
            this.host = host;
            this.result = result;
            this.failure = failure;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object message) {
            if (message instanceof HttpObject http && http.decoderResult().isFailure()) {
                Throwable cause = http.decoderResult().cause();
                ReferenceCountUtil.release(message);
                result.completeExceptionally(failure.apply("unreadable HTTP from " + host + ": " + cause, cause));
                return;
            }
            ctx.fireChannelRead(message);
        }
    }
}
