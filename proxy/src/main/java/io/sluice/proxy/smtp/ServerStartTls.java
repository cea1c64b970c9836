package io.sluice.proxy.smtp;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import java.util.function.Consumer;

/** The server side of STARTTLS (RFC 3207) on a client connection. */
public final class ServerStartTls {

    private ServerStartTls() {
    }

    /**
     * Discards what the client pipelined after STARTTLS (CVE-2011-0411: it was sent in clear and must not count),
     * answers {@code ready}, and starts the handshake; {@code done} gets null on success or the cause of failure.
     */
    public static void begin(ChannelHandlerContext ctx, SmtpFrameDecoder framer, SslContext context, SmtpReply ready,
                             Consumer<Throwable> done) {
        framer.discardBuffered();
        SslHandler tls = new SslHandler(context.newEngine(ctx.alloc()), true);
        ctx.pipeline().addFirst("tls", tls);
        ctx.writeAndFlush(ready.encode(ctx.alloc()));
        tls.handshakeFuture().addListener(handshake -> done.accept(handshake.isSuccess() ? null : handshake.cause()));
        ctx.channel().read();
    }
}
