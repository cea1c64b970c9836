package io.sluice.proxy.admin;

import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.timeout.IdleStateEvent;
import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Translates between HTTP messages and the {@link AdminApi}: one request in, one response out, in the order the
 * requests came (HTTP/1.1 pipelining), even when an answer has to wait for the cluster.
 */
final class AdminHttpHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

    private static final Logger log = LoggerFactory.getLogger(AdminHttpHandler.class);

    private final AdminApi api;
    // The last response of this connection to be written; the next one is written after it. Event loop only.
    private CompletableFuture<Void> previous = CompletableFuture.completedFuture(null);

    AdminHttpHandler(AdminApi api) {
        this.api = api;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        DecoderResult decoded = request.decoderResult();
        if (!decoded.isSuccess()) {
            badRequest(ctx, decoded.cause());
            return;
        }
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        // A copy: the request is released when this method returns, and the answer may come later.
        QueryStringDecoder uri = new QueryStringDecoder(request.uri());
        AdminRequest adminRequest = new AdminRequest(request.method().name(), uri.path(), uri.parameters(),
                Optional.ofNullable(request.headers().get(HttpHeaderNames.AUTHORIZATION)),
                Optional.ofNullable(request.headers().get(HttpHeaderNames.IF_MATCH)),
                ByteBufUtil.getBytes(request.content()));
        previous = previous
                .exceptionally(ignored -> null)
                .thenCompose(ignored -> api.handle(adminRequest))
                .thenAcceptAsync(response -> write(ctx, response, keepAlive), ctx.executor());
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
        if (cause instanceof IOException) {
            // Resets and broken pipes are everyday network weather, not an operator's problem.
            log.debug("admin connection error: {}", cause.toString());
        } else {
            log.warn("unexpected error on an admin connection", cause);
        }
        ctx.close();
    }
}
