package io.sluice.proxy.admin;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;

/**
 * Reads an admin connection only while it keeps up: no further request is taken while one is read whole but not
 * yet answered onto the socket, nor while the socket does not take what was written (the channel is not
 * writable). A client that pipelines requests and never reads the responses thus gets one response held for it,
 * and its further requests wait in its own socket buffers, not in this process.
 *
 * <p>It turns auto-read off and on; a {@link io.netty.handler.flow.FlowControlHandler} before it holds what one
 * read of the socket decoded into many requests, and hands them on one at a time as reading resumes.
 */
final class AdminBackpressure extends ChannelDuplexHandler {

    // One request answered at a time: pipelining still works, its answers just come one after the other.
    private static final int MAX_UNANSWERED = 1;

    // Requests read whole minus final responses written; below zero while the body of a request answered on its
    // head (401, 413) is still arriving. Event loop only.
    private int unanswered;

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        update(ctx);
        super.channelActive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof LastHttpContent) {
            unanswered++;
        }
        ctx.fireChannelRead(msg);
        update(ctx);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        // A 100 Continue is no answer: the request it belongs to is still to come.
        if (msg instanceof HttpResponse response && response.status().codeClass() != HttpStatusClass.INFORMATIONAL) {
            promise = promise.unvoid();
            promise.addListener(written -> {
                unanswered--;
                update(ctx);
            });
        }
        ctx.write(msg, promise);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        update(ctx);
        super.channelWritabilityChanged(ctx);
    }

    private void update(ChannelHandlerContext ctx) {
        boolean read = ctx.channel().isWritable() && unanswered < MAX_UNANSWERED;
        if (ctx.channel().config().isAutoRead() != read) {
            ctx.channel().config().setAutoRead(read);
        }
    }

}
