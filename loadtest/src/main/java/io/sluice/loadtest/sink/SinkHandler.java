package io.sluice.loadtest.sink;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sink's only handler: frames CRLF command lines for {@link SinkSession}, streams message data through
 * {@link EndOfDataScanner} and {@link MessageChecker}, and queues replies so that each read batch is answered
 * with one flush. Faults the session asks for are applied here: a delayed reply pauses reading until it is sent,
 * a disconnect closes without a reply, slow reads pause reading after every read for as long as the configured
 * rate needs. The reply to an accepted message's final dot waits for its turn in the {@link ServiceModel}, the same
 * way: reading pauses until it is sent, so a connection has at most one such reply waiting.
 *
 * <p>Nothing of a message is kept: every inbound buffer is released before {@code channelRead} returns, so memory
 * per connection is one bounded line buffer whatever the message size (plus, only while a delayed reply waits,
 * what the client pipelined meanwhile).
 */
final class SinkHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(SinkHandler.class);

    /** Longest command line accepted, CRLF included; Postfix's default line_length_limit. */
    static final int MAX_LINE = 2048;

    private static final byte CR = '\r';
    private static final byte LF = '\n';
    private static final byte[] HEX = "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final SinkSession session;
    private final SinkStats stats;
    private final FaultPlan faults;
    private final ServiceModel service;
    private final EndOfDataScanner data = new EndOfDataScanner();
    private final MessageChecker checker = new MessageChecker();

    private byte[] line = new byte[128];
    private int lineLength;
    private boolean lineOverflow;
    private boolean lastWasCr;

    private boolean inData;
    private boolean closing;
    private boolean flushPending;
    /** A delayed reply is waiting: nothing more is processed until it is sent. */
    private boolean paused;
    /** Slow reads: reading is off until the rate allows the next read. */
    private boolean throttled;
    /** Input that arrived or was left over while paused. */
    private ByteBuf pending;
    /** Replies of the current read, written once at its end. */
    private ByteBuf out;
    /** The reply to a final dot waiting for its turn, cancelled if the connection closes first. */
    private ScheduledFuture<?> waitingReply;

    SinkHandler(SinkReplies replies, SinkStats stats, FaultPlan faults) {
        this(replies, stats, faults, ServiceModel.unlimited());
    }

    SinkHandler(SinkReplies replies, SinkStats stats, FaultPlan faults, ServiceModel service) {
        this.session = new SinkSession(replies, stats, faults);
        this.stats = stats;
        this.faults = faults;
        this.service = service;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        stats.sessionOpened();
        if (ctx.channel().remoteAddress() instanceof InetSocketAddress remote && remote.getAddress() != null) {
            session.peer(remote.getAddress().getHostAddress());
        }
        answer(ctx, session.greeting());
        flushOut(ctx);
        ctx.flush();
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (waitingReply != null && waitingReply.cancel(false)) {
            waitingReply = null;
            stats.waitingEnded(); // the client gave up: the message is not accepted
        }
        stats.sessionClosed();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (out != null) {
            out.release();
            out = null;
        }
        if (pending != null) {
            pending.release();
            pending = null;
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        ByteBuf in = (ByteBuf) msg;
        int readBytes = in.readableBytes();
        consume(ctx, in);
        flushOut(ctx);
        long rate = faults.readBytesPerSecond();
        if (rate > 0 && !closing) {
            throttled = true;
            updateAutoRead(ctx);
            ctx.executor().schedule(() -> {
                throttled = false;
                updateAutoRead(ctx);
            }, Math.max(1, readBytes * NANOS_PER_SECOND / rate), TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (flushPending) {
            flushPending = false;
            ctx.flush();
            // A client that pipelines without reading our replies must not make them pile up here.
            if (!ctx.channel().isWritable()) {
                ctx.channel().config().setAutoRead(false);
            }
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        updateAutoRead(ctx);
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException) {
            log.debug("{}: connection error: {}", ctx.channel(), cause.toString()); // resets are routine
        } else {
            log.warn("{}: closing after unexpected error", ctx.channel(), cause);
        }
        ctx.close();
    }

    /** Processes {@code in} (released here), or keeps it while a delayed reply waits. */
    private void consume(ChannelHandlerContext ctx, ByteBuf in) {
        try {
            if (paused) {
                if (pending == null) {
                    pending = ctx.alloc().buffer(in.readableBytes());
                }
                pending.writeBytes(in);
                return;
            }
            if (!closing) {
                process(ctx, in);
            }
            if (paused && in.isReadable()) {
                pending = ctx.alloc().buffer(in.readableBytes());
                pending.writeBytes(in);
            }
        } finally {
            in.release();
        }
    }

    private void process(ChannelHandlerContext ctx, ByteBuf in) {
        while (in.isReadable() && !closing && !paused) {
            if (inData) {
                int end = data.scan(in);
                checker.feed(in, in.readerIndex(), end < 0 ? in.writerIndex() : end);
                if (end < 0) {
                    in.skipBytes(in.readableBytes());
                    return;
                }
                in.readerIndex(end);
                inData = false;
                Reply refused = session.onMessageEnd(data.bodyBytes(), checker);
                data.reset();
                checker.reset();
                if (refused == null) {
                    acceptInTurn(ctx);
                } else {
                    answer(ctx, refused);
                }
            } else if (frameLine(in)) {
                Reply reply = lineOverflow ? session.onLineTooLong() : session.onCommand(line, lineLength - 2);
                lineLength = 0;
                lineOverflow = false;
                lastWasCr = false;
                answer(ctx, reply);
            }
        }
    }

    /**
     * Queues {@code reply} and takes on its effect; a reply with a fault's delay is sent on its own once the delay
     * is over, and nothing is processed until then.
     */
    private void answer(ChannelHandlerContext ctx, Reply reply) {
        Reply.Effect effect = reply.effect();
        long delay = session.takeDelayNanos();
        if (effect == Reply.Effect.DISCONNECT) {
            closing = true;
            return;
        }
        if (effect == Reply.Effect.START_DATA) {
            inData = true;
        }
        if (delay <= 0) {
            encode(out(ctx), reply, 0);
            closing |= effect == Reply.Effect.CLOSE;
            return;
        }
        paused = true;
        updateAutoRead(ctx);
        ByteBuf delayed = ctx.alloc().ioBuffer(64);
        encode(delayed, reply, 0);
        ctx.executor().schedule(() -> {
            if (!ctx.channel().isActive()) {
                delayed.release();
                return;
            }
            if (effect == Reply.Effect.CLOSE) {
                closing = true;
                ctx.writeAndFlush(delayed).addListener(ChannelFutureListener.CLOSE);
                return;
            }
            ctx.writeAndFlush(delayed, ctx.voidPromise());
            resume(ctx);
        }, delay, TimeUnit.NANOSECONDS);
    }

    /**
     * Answers the message whose data just ended when the service model gives it its turn (and a fault's delay, if
     * any, is over): at once if it is free, else later, with reading paused until then.
     */
    private void acceptInTurn(ChannelHandlerContext ctx) {
        long arrival = System.nanoTime();
        long delay = session.takeDelayNanos();
        long at = Math.max(service.replyAt(arrival), arrival + delay);
        if (at - arrival <= 0) {
            encode(out(ctx), null, session.accept());
            stats.dotAnswered(service.plateauAt(arrival), System.nanoTime() - arrival);
            return;
        }
        paused = true;
        updateAutoRead(ctx);
        stats.waitingStarted();
        waitingReply = ctx.executor().schedule(() -> {
            waitingReply = null;
            stats.waitingEnded();
            if (!ctx.channel().isActive()) {
                return;
            }
            ByteBuf reply = ctx.alloc().ioBuffer(64);
            encode(reply, null, session.accept());
            long sent = System.nanoTime();
            stats.dotAnswered(service.plateauAt(sent), sent - arrival);
            ctx.writeAndFlush(reply, ctx.voidPromise());
            resume(ctx);
        }, at - arrival, TimeUnit.NANOSECONDS);
    }

    /** After a delayed reply: processes what arrived meanwhile, then reads again. */
    private void resume(ChannelHandlerContext ctx) {
        paused = false;
        if (pending != null) {
            ByteBuf input = pending;
            pending = null;
            consume(ctx, input);
            flushOut(ctx);
            ctx.flush();
        }
        updateAutoRead(ctx);
    }

    /** Writes the replies queued so far; closes after them if the session is closing. */
    private void flushOut(ChannelHandlerContext ctx) {
        if (out != null) {
            ByteBuf replies = out;
            out = null;
            if (closing) {
                ctx.write(replies).addListener(ChannelFutureListener.CLOSE);
            } else {
                ctx.write(replies, ctx.voidPromise());
            }
            flushPending = true;
        } else if (closing) {
            ctx.close();
        }
    }

    private void updateAutoRead(ChannelHandlerContext ctx) {
        ctx.channel().config().setAutoRead(!paused && !throttled && !closing && ctx.channel().isWritable());
    }

    /**
     * Moves bytes up to the next CRLF into the line buffer. Only CRLF ends a line: a bare LF is content, and is
     * later rejected as an unknown command rather than silently splitting one.
     *
     * @return true if a complete line is in the buffer
     */
    private boolean frameLine(ByteBuf in) {
        final int to = in.writerIndex();
        int from = in.readerIndex();
        while (from < to) {
            int lf = in.indexOf(from, to, LF);
            if (lf < 0) {
                append(in, from, to - from);
                lastWasCr = in.getByte(to - 1) == CR;
                in.readerIndex(to);
                return false;
            }
            boolean crlf = lf > from ? in.getByte(lf - 1) == CR : lastWasCr;
            append(in, from, lf + 1 - from);
            from = lf + 1;
            lastWasCr = false;
            if (crlf) {
                in.readerIndex(from);
                return true;
            }
        }
        in.readerIndex(to);
        return false;
    }

    private void append(ByteBuf in, int index, int length) {
        int room = MAX_LINE - lineLength;
        if (length > room) {
            lineOverflow = true;
            length = room;
        }
        if (length == 0) {
            return;
        }
        if (lineLength + length > line.length) {
            line = Arrays.copyOf(line, Math.min(MAX_LINE, Math.max(line.length * 2, lineLength + length)));
        }
        in.getBytes(index, line, lineLength, length);
        lineLength += length;
    }

    private ByteBuf out(ChannelHandlerContext ctx) {
        if (out == null) {
            out = ctx.alloc().ioBuffer(256);
        }
        return out;
    }

    private static void encode(ByteBuf buf, Reply reply, long queueId) {
        if (reply != null) {
            buf.writeBytes(reply.wire());
            return;
        }
        buf.writeBytes(SinkReplies.QUEUED_PREFIX);
        // Twelve hex digits, like a Postfix short queue id in length.
        for (int shift = 44; shift >= 0; shift -= 4) {
            buf.writeByte(HEX[(int) (queueId >>> shift) & 0xF]);
        }
        buf.writeByte(CR).writeByte(LF);
    }
}
