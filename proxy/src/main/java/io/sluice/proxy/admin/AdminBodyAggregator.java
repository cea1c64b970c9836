package io.sluice.proxy.admin;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.FullHttpMessage;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.util.ReferenceCountUtil;

/**
 * Collects a request and its body into one message, up to {@code admin.max-body-size}. A larger body gets a 413
 * with a JSON body like every other error. As Netty does: a body declared too large up front is read and thrown
 * away so that the client, still sending, gets to read the 413 (closing on unread data would reset the connection
 * and lose the answer) and the connection serves the next request; a body found too large while arriving, or
 * refused before it was sent ({@code Expect: 100-continue}), closes the connection.
 */
final class AdminBodyAggregator extends HttpObjectAggregator {

    private final String tooLarge;

    AdminBodyAggregator(int maxBodySize) {
        // Closing after a refused 100-continue: the client may send the body anyway, and it is not wanted.
        super(maxBodySize, true);
        this.tooLarge = "request body larger than " + maxBodySize + " bytes (admin.max-body-size)";
    }

    /** Answers {@code Expect: 100-continue} as Netty does, but with this API's error bodies. */
    @Override
    protected Object newContinueResponse(HttpMessage start, int maxContentLength, ChannelPipeline pipeline) {
        Object response = super.newContinueResponse(start, maxContentLength, pipeline);
        if (response instanceof HttpResponse http && http.status().code() >= 400) {
            int status = http.status().code();
            ReferenceCountUtil.release(response);
            return HttpResponses.closing(status, status == HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE.code()
                    ? tooLarge : "Expect: only 100-continue is supported");
        }
        return response;
    }

    // The aggregator releases the oversized message itself.
    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
        int status = HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE.code();
        if (oversized instanceof FullHttpMessage || !HttpUtil.isKeepAlive(oversized)) {
            ctx.writeAndFlush(HttpResponses.closing(status, tooLarge)).addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.writeAndFlush(HttpResponses.of(AdminResponse.error(status, tooLarge), true))
                    .addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        }
    }
}
