package io.sluice.proxy.admin;

import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.NetUtil;
import io.netty.util.ReferenceCountUtil;
import io.sluice.proxy.ConnectionErrors;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Translates between HTTP messages and the {@link AdminApi}: one request in, one response out, in the order the
 * requests came (HTTP/1.1 pipelining), even when an answer has to wait for the cluster. A request refused on its
 * head arrives here as {@link Refused}, to be answered in its turn.
 */
final class AdminHttpHandler extends SimpleChannelInboundHandler<Object> {

    private static final Logger log = LoggerFactory.getLogger(AdminHttpHandler.class);

    /** The answer to a request {@link AdminHeadCheck} refused without reading its body. */
    record Refused(AdminResponse response, boolean keepAlive) {
    }

    private final AdminApi api;
    // The last response of this connection to be written; the next one is written after it. Event loop only.
    private CompletableFuture<Void> previous = CompletableFuture.completedFuture(null);

    AdminHttpHandler(AdminApi api) {
        this.api = api;
    }

    /** The API's view of a request: {@code body} is empty while only the head has been read. */
    static AdminRequest adminRequest(ChannelHandlerContext ctx, HttpRequest request, byte[] body) {
        QueryStringDecoder uri = new QueryStringDecoder(request.uri());
        return new AdminRequest(clientAddress(ctx), request.method().name(), uri.path(), uri.parameters(),
                Optional.ofNullable(request.headers().get(HttpHeaderNames.AUTHORIZATION)),
                Optional.ofNullable(request.headers().get(HttpHeaderNames.IF_MATCH)), body);
    }

    private static String clientAddress(ChannelHandlerContext ctx) {
        SocketAddress remote = ctx.channel().remoteAddress();
        return remote instanceof InetSocketAddress inet && inet.getAddress() != null
                ? NetUtil.toAddressString(inet.getAddress()) : String.valueOf(remote);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof Refused refused) {
            answer(ctx, () -> AdminApi.done(refused.response()), refused.keepAlive());
        } else if (msg instanceof FullHttpRequest request) {
            DecoderResult decoded = request.decoderResult();
            if (!decoded.isSuccess()) {
                badRequest(ctx, decoded.cause());
                return;
            }
            // A copy: the request is released when this method returns, and the answer may come later.
            AdminRequest adminRequest = adminRequest(ctx, request, ByteBufUtil.getBytes(request.content()));
            answer(ctx, () -> api.handle(adminRequest), HttpUtil.isKeepAlive(request));
        } else {
            ctx.fireChannelRead(ReferenceCountUtil.retain(msg));
        }
    }

    private void answer(ChannelHandlerContext ctx, Supplier<CompletableFuture<AdminResponse>> response,
                        boolean keepAlive) {
        previous = previous
                .exceptionally(ignored -> null)
                .thenCompose(ignored -> response.get())
                .thenAcceptAsync(answer -> write(ctx, answer, keepAlive), ctx.executor());
    }

    private static void write(ChannelHandlerContext ctx, AdminResponse response, boolean keepAlive) {
        var written = ctx.writeAndFlush(HttpResponses.of(response, keepAlive));
        if (!keepAlive) {
            written.addListener(ChannelFutureListener.CLOSE);
        }
    }

    private static void badRequest(ChannelHandlerContext ctx, Throwable cause) {
        int status;
        String message;
        if (cause instanceof TooLongHttpLineException) {
            status = 414;
            message = "request line too long";
        } else if (cause instanceof TooLongHttpHeaderException) {
            status = 431;
            message = "request headers too large";
        } else {
            status = 400;
            message = "malformed HTTP request";
        }
        log.debug("bad admin request: {}", String.valueOf(cause));
        ctx.writeAndFlush(HttpResponses.closing(status, message)).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
        if (event instanceof IdleStateEvent) {
            ctx.close();
        } else {
            super.userEventTriggered(ctx, event);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ConnectionErrors.close(ctx, cause, log, "admin");
    }
}
