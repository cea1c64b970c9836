package io.sluice.proxy.egress.tls;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.NetUtil;
import io.sluice.proxy.smtp.SmtpClientConnection;
import java.io.IOException;
import java.net.IDN;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import javax.net.ssl.SSLParameters;
import org.xbill.DNS.Name;
import org.xbill.DNS.TextParseException;

/**
 * POSTs a gzip-compressed TLS report to an {@code https:} report URI (RFC 8460 §5.2). The URI is the destination
 * domain's to choose, so its host is resolved with the egress resolvers and must not be a forbidden destination (an
 * address literal included), its certificate must be valid for its name from the trusted authorities, a redirect is
 * not followed, and the whole POST has a time limit. Netty, as for MTA-STS policies: on Java 17 the JDK's client
 * resolves names only through the host's resolver.
 */
final class ReportPoster {

    private final org.xbill.DNS.Resolver dns;
    private final Predicate<InetAddress> permitted;
    private final SslContext tls;
    private final EventLoopGroup group;
    private final Class<? extends SocketChannel> channelClass;
    private final Duration timeout;

    ReportPoster(org.xbill.DNS.Resolver dns, Predicate<InetAddress> permitted, SslContext tls, EventLoopGroup group,
                 Class<? extends SocketChannel> channelClass, Duration timeout) {
        this.dns = dns;
        this.permitted = permitted;
        this.tls = tls;
        this.group = group;
        this.channelClass = channelClass;
        this.timeout = timeout;
    }

    /** Completes once the report URI answered 2xx; fails with why not. */
    CompletableFuture<Void> post(URI uri, byte[] gzipped) {
        String host = uri.getHost();
        InetAddress literal = literal(host);
        CompletableFuture<List<InetAddress>> addresses;
        if (literal != null) {
            addresses = CompletableFuture.completedFuture(List.of(literal));
        } else {
            try {
                String ascii = IDN.toASCII(host, IDN.ALLOW_UNASSIGNED).toLowerCase(Locale.ROOT);
                addresses = MtaStsFetcher.addresses(dns, Name.fromString(ascii.endsWith(".") ? ascii : ascii + "."));
            } catch (TextParseException | IllegalArgumentException e) {
                return CompletableFuture.failedFuture(new IOException("invalid report host " + host));
            }
        }
        return addresses.thenCompose(found -> {
            // The report URI must not reach what the relay may not: a domain could point it at an internal service.
            InetAddress address = found.stream().filter(permitted).findFirst().orElse(null);
            if (address == null) {
                return CompletableFuture.failedFuture(new IOException(found.isEmpty() ? host + " has no address"
                        : host + " resolves to forbidden destinations only"));
            }
            return send(uri, address, gzipped);
        });
    }

    /** The host without the brackets an IPv6 literal has in a URI. */
    private static String bare(String host) {
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    /** The address the host is a literal of, or null for a name; never a lookup (the host is the domain's choice). */
    private static InetAddress literal(String host) {
        return NetUtil.createInetAddressFromIpAddressString(bare(host));
    }

    private CompletableFuture<Void> send(URI uri, InetAddress address, byte[] gzipped) {
        String host = bare(uri.getHost());
        int port = uri.getPort() < 0 ? 443 : uri.getPort();
        CompletableFuture<Void> result = new CompletableFuture<>();
        Bootstrap bootstrap = new Bootstrap().group(group).channel(channelClass)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()))
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel channel) {
                        SslHandler ssl = tls.newHandler(channel.alloc(), host, port);
                        SSLParameters parameters = ssl.engine().getSSLParameters();
                        parameters.setEndpointIdentificationAlgorithm("HTTPS");
                        ssl.engine().setSSLParameters(parameters);
                        channel.pipeline().addLast("tls", ssl)
                                .addLast("http", new HttpClientCodec(4096, 8192, 8192))
                                .addLast("answer", new Answer(host, result));
                    }
                });
        ChannelFuture connect = bootstrap.connect(new InetSocketAddress(address, port));
        Channel channel = connect.channel();
        var expiry = group.next().schedule(() -> {
            result.completeExceptionally(new IOException(host + " did not answer within " + timeout));
            channel.close();
        }, timeout.toMillis(), TimeUnit.MILLISECONDS);
        connect.addListener(done -> {
            if (!done.isSuccess()) {
                result.completeExceptionally(new IOException("cannot connect to " + host, done.cause()));
                return;
            }
            String path = (uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath())
                    + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
            DefaultFullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, path,
                    Unpooled.wrappedBuffer(gzipped));
            request.headers().set(HttpHeaderNames.HOST, uri.getPort() < 0 ? uri.getHost() : uri.getHost() + ":" + port)
                    .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE)
                    .set(HttpHeaderNames.CONTENT_TYPE, TlsReporter.MEDIA_TYPE)
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, gzipped.length);
            channel.writeAndFlush(request);
        });
        result.whenComplete((ok, error) -> {
            expiry.cancel(false);
            channel.close();
        });
        return result;
    }

    /** The status line is all that counts: 2xx took the report; anything else, a redirect too, did not. */
    private static final class Answer extends SimpleChannelInboundHandler<HttpObject> {
        private final String host;
        private final CompletableFuture<Void> result;

        Answer(String host, CompletableFuture<Void> result) {
            this.host = host;
            this.result = result;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, HttpObject message) {
            if (message instanceof HttpResponse response) {
                int status = response.status().code();
                if (status / 100 == 2) {
                    result.complete(null);
                } else {
                    result.completeExceptionally(new IOException(host + " answered " + status));
                }
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            result.completeExceptionally(new IOException(host + " closed the connection before answering"));
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            result.completeExceptionally(new IOException(host + ": " + SmtpClientConnection.rootMessage(cause),
                    cause));
            ctx.close();
        }
    }
}
