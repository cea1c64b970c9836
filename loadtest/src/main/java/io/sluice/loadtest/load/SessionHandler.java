package io.sluice.loadtest.load;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageEncoder;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * Runs one {@link SessionScript} over one connection: frames the server's replies, times each against its
 * command, counts it, and sends what the script says next. Every stage has the plan's reply timeout.
 */
final class SessionHandler extends ChannelInboundHandlerAdapter {

    /** Longest reply line kept; longer lines are still read, only their text is cut. */
    private static final int MAX_LINE = 512;
    /** After QUIT's reply or a 421 the server closes; waiting for it leaves TIME_WAIT on the server's side. */
    private static final long CLOSE_WAIT_MILLIS = 2_000;

    private final SessionScript script;
    private final LoadStats stats;
    private final long replyTimeoutNanos;
    private final long idleNanos;
    private final HAProxyMessage proxyHeader;
    private final Runnable onEnd;

    private final StringBuilder line = new StringBuilder();
    private long sentAt;
    /** When the current message's MAIL was sent, for its transaction latency. */
    private long mailSentAt;
    private ScheduledFuture<?> timeout;
    private boolean ended;

    /** @param connectStartedAt {@link System#nanoTime} when the connect began: the greeting is timed from it */
    SessionHandler(SessionScript script, LoadStats stats, long replyTimeoutNanos, long idleNanos,
            HAProxyMessage proxyHeader, long connectStartedAt, Runnable onEnd) {
        this.script = script;
        this.stats = stats;
        this.replyTimeoutNanos = replyTimeoutNanos;
        this.idleNanos = idleNanos;
        this.proxyHeader = proxyHeader;
        this.sentAt = connectStartedAt;
        this.onEnd = onEnd;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (proxyHeader != null) {
            // The encoder is needed for this one message only.
            ctx.pipeline().addBefore(ctx.name(), "proxy-header", HAProxyMessageEncoder.INSTANCE);
            ctx.writeAndFlush(proxyHeader);
            ctx.pipeline().remove("proxy-header");
        }
        armTimeout(ctx);
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        ByteBuf in = (ByteBuf) msg;
        try {
            while (in.isReadable() && !script.finished()) {
                byte b = in.readByte();
                if (b == '\n') {
                    replyLine(ctx);
                } else if (b != '\r' && line.length() < MAX_LINE) {
                    line.append((char) (b & 0xFF));
                }
            }
        } finally {
            in.release();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelTimeout();
        if (!script.finished()) {
            stats.noReply(script.stage(), "closed", "connection closed by the server");
            script.abort(MessageOutcome.ERROR);
        }
        end();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!script.finished()) {
            String what = cause instanceof IOException ? "closed" : "error";
            stats.noReply(script.stage(), what, cause.toString());
            script.abort(MessageOutcome.ERROR);
        }
        ctx.close();
    }

    /** The run's deadline passed with this session still open: it ends without a verdict. Event loop only. */
    void cut(Channel channel) {
        if (!script.finished()) {
            stats.noReply(script.stage(), "cut", "still open at the run's deadline");
            script.abort(MessageOutcome.ERROR);
        }
        channel.close();
    }

    /** The connect itself failed; no channel became active. */
    static void connectFailed(SessionScript script, LoadStats stats, Throwable cause) {
        stats.noReply(Stage.CONNECT, "connect-failed", cause.toString());
        script.abort(MessageOutcome.ERROR);
    }

    private void replyLine(ChannelHandlerContext ctx) {
        String text = line.toString();
        line.setLength(0);
        // RFC 5321 §4.2.1: "NNN-" continues a reply, "NNN " or "NNN" alone ends it.
        if (text.length() >= 4 && text.charAt(3) == '-') {
            return;
        }
        int code = code(text);
        long now = System.nanoTime();
        cancelTimeout();
        Stage stage = script.stage();
        if (code < 0) {
            stats.noReply(stage, "garbled", text);
            script.abort(MessageOutcome.ERROR);
            ctx.close();
            return;
        }
        stats.reply(stage, code, now - sentAt, text);
        if (stage == Stage.DOT) {
            stats.transaction(now - mailSentAt);
        }
        SessionScript.Action action = script.onReply(code);
        if (action.command() != null) {
            if (stage == Stage.EHLO && idleNanos > 0) {
                // An idle session: connected and introduced, then quiet for a while, as many real clients are.
                ctx.executor().schedule(() -> send(ctx, action.command()), idleNanos, TimeUnit.NANOSECONDS);
            } else {
                send(ctx, action.command());
            }
        }
        if (action.close()) {
            if (stage == Stage.QUIT || code == 421) {
                ctx.executor().schedule(() -> ctx.close(), CLOSE_WAIT_MILLIS, TimeUnit.MILLISECONDS);
            } else {
                ctx.close();
            }
        }
    }

    private void send(ChannelHandlerContext ctx, byte[] command) {
        if (!ctx.channel().isActive()) {
            return;
        }
        sentAt = System.nanoTime();
        if (script.stage() == Stage.MAIL) {
            mailSentAt = sentAt;
        }
        ctx.writeAndFlush(Unpooled.wrappedBuffer(command), ctx.voidPromise());
        armTimeout(ctx);
    }

    private void armTimeout(ChannelHandlerContext ctx) {
        timeout = ctx.executor().schedule(() -> {
            if (!script.finished()) {
                stats.noReply(script.stage(), "timeout", null);
                script.abort(MessageOutcome.ERROR);
            }
            ctx.close();
        }, replyTimeoutNanos, TimeUnit.NANOSECONDS);
    }

    private void cancelTimeout() {
        if (timeout != null) {
            timeout.cancel(false);
            timeout = null;
        }
    }

    private void end() {
        if (!ended) {
            ended = true;
            stats.sessionEnded();
            onEnd.run();
        }
    }

    /** The three-digit code at the start of a reply line, or -1. */
    static int code(String text) {
        if (text.length() < 3 || (text.length() > 3 && text.charAt(3) != ' ')) {
            return -1;
        }
        int code = 0;
        for (int i = 0; i < 3; i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            code = code * 10 + (c - '0');
        }
        return code >= 200 && code <= 599 ? code : -1;
    }
}
