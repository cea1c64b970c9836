package io.sluice.proxy.admin;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;

/**
 * Decides a request on its head, before any of its body is read: a request without a valid token, or without the
 * scope it needs (or for no such path, or with a method the path does not take) is answered at once, and its body
 * is thrown away as it arrives, never buffered. An admitted request goes on to be collected whole.
 *
 * <p>A refused body is discarded up to {@code admin.max-body-size}, so that a client still sending gets to read
 * the answer (closing on unread data would reset the connection under it) and the connection serves the next
 * request; a body announced larger, or found larger, or held back for {@code Expect: 100-continue}, closes the
 * connection instead (RFC 9110 §10.1.1: the server may close rather than read the rest).
 */
final class AdminHeadCheck extends ChannelInboundHandlerAdapter {

    private enum State { AWAITING_HEAD, PASSING_BODY, DISCARDING_BODY }

    private final AdminApi api;
    private final int maxBodySize;
    private State state = State.AWAITING_HEAD;
    private long discarded;

    AdminHeadCheck(AdminApi api, int maxBodySize) {
        this.api = api;
        this.maxBodySize = maxBodySize;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (state == State.AWAITING_HEAD && msg instanceof HttpRequest request) {
            head(ctx, request);
        } else if (state == State.DISCARDING_BODY && msg instanceof HttpContent content) {
            discard(ctx, content);
        } else {
            ctx.fireChannelRead(msg);
        }
        if (msg instanceof LastHttpContent) {
            state = State.AWAITING_HEAD;
        }
    }

    private void head(ChannelHandlerContext ctx, HttpRequest request) {
        // A malformed head goes on, to be answered 400, 414 or 431 in its turn.
        if (!request.decoderResult().isSuccess()) {
            ctx.fireChannelRead(request);
            return;
        }
        var refusal = api.refusal(AdminHttpHandler.adminRequest(ctx, request, new byte[0]));
        if (refusal.isEmpty()) {
            state = State.PASSING_BODY;
            ctx.fireChannelRead(request);
            return;
        }
        state = State.DISCARDING_BODY;
        discarded = 0;
        boolean keepAlive = HttpUtil.isKeepAlive(request) && !HttpUtil.is100ContinueExpected(request)
                && HttpUtil.getContentLength(request, 0L) <= maxBodySize;
        ReferenceCountUtil.release(request);
        // Down the pipeline, so that it is answered after the requests before it (HTTP/1.1 pipelining).
        ctx.fireChannelRead(new AdminHttpHandler.Refused(refusal.get(), keepAlive));
    }

    private void discard(ChannelHandlerContext ctx, HttpContent content) {
        boolean failed = !content.decoderResult().isSuccess();
        discarded += content.content().readableBytes();
        content.release();
        if (failed || discarded > maxBodySize) {
            ctx.close();
        }
    }
}
