package io.sluice.proxy.egress.tls;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.NetUtil;
import io.sluice.proxy.smtp.SmtpClientConnection;
import java.io.IOException;
import java.net.IDN;
import java.net.InetAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import org.xbill.DNS.Name;
import org.xbill.DNS.TextParseException;

/**
 * POSTs a gzip-compressed TLS report to an {@code https:} report URI (RFC 8460 §5.2). The URI is the destination
 * domain's to choose, so its host is resolved with the egress resolvers and must not be a forbidden destination (an
 * address literal included), and the POST is an {@link HttpsExchange} (the certificate valid for the name from the
 * trusted authorities, a time limit on the whole); a redirect is not followed.
 */
final class ReportPoster {

    private final org.xbill.DNS.Resolver dns;
    private final HttpsExchange https;
    private final Duration timeout;

    ReportPoster(org.xbill.DNS.Resolver dns, HttpsExchange https, Duration timeout) {
        this.dns = dns;
        this.https = https;
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
        return addresses.thenCompose(found -> send(uri, found, gzipped));
    }

    /** The host without the brackets an IPv6 literal has in a URI. */
    private static String bare(String host) {
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    /** The address the host is a literal of, or null for a name; never a lookup (the host is the domain's choice). */
    private static InetAddress literal(String host) {
        return NetUtil.createInetAddressFromIpAddressString(bare(host));
    }

    private CompletableFuture<Void> send(URI uri, List<InetAddress> addresses, byte[] gzipped) {
        String host = bare(uri.getHost());
        int port = uri.getPort() < 0 ? 443 : uri.getPort();
        String path = (uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath())
                + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
        DefaultFullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, path,
                Unpooled.wrappedBuffer(gzipped));
        request.headers().set(HttpHeaderNames.HOST, uri.getPort() < 0 ? uri.getHost() : uri.getHost() + ":" + port)
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE)
                .set(HttpHeaderNames.CONTENT_TYPE, TlsReporter.MEDIA_TYPE)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, gzipped.length);
        return https.send(host, addresses, port, timeout, request, result -> new Answer(host, result),
                IOException::new);
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
