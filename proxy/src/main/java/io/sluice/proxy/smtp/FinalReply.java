package io.sluice.proxy.smtp;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** The last reply of a server session: written, then the connection closed, whether the client reads it or not. */
public final class FinalReply {

    // A few hundred octets leave at once unless the client has stopped reading; such a client would otherwise keep
    // its connection (and its descriptor) for as long as it likes, since the close waits for the write.
    static final Duration MAX_WAIT = Duration.ofSeconds(10);

    private FinalReply() {
    }

    /** Writes {@code reply} and closes the connection once it is written, or after {@link #MAX_WAIT} at the latest. */
    public static void send(ChannelHandlerContext ctx, SmtpReply reply) {
        ChannelFuture written = ctx.writeAndFlush(reply.encode(ctx.alloc()));
        written.addListener(ChannelFutureListener.CLOSE);
        if (!written.isDone()) {
            ScheduledFuture<?> cut = ctx.executor().schedule(() -> ctx.channel().close(), MAX_WAIT.toMillis(),
                    TimeUnit.MILLISECONDS);
            ctx.channel().closeFuture().addListener(closed -> cut.cancel(false));
        }
    }
}
