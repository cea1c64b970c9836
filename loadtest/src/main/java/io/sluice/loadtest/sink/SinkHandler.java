package io.sluice.loadtest.sink;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sink's only handler: frames CRLF command lines for {@link SinkSession}, streams message data through
 * {@link EndOfDataScanner}, and queues replies so that each read batch is answered with one flush.
 *
 * <p>Nothing of a message is kept: every inbound buffer is released before {@code channelRead} returns, so memory
 * per connection is one bounded line buffer whatever the message size.
 */
final class SinkHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(SinkHandler.class);

    /** Longest command line accepted, CRLF included; Postfix's default line_length_limit. */
    static final int MAX_LINE = 2048;

    private static final byte CR = '\r';
    private static final byte LF = '\n';
    private static final byte[] HEX = "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);

    private final SinkSession session;
    private final SinkStats stats;
    private final EndOfDataScanner data = new EndOfDataScanner();

    private byte[] line = new byte[128];
    private int lineLength;
    private boolean lineOverflow;
    private boolean lastWasCr;

    private boolean inData;
    private boolean closing;
    private boolean flushPending;
    /** Replies of the current read, written once at its end. */
    private ByteBuf out;

    SinkHandler(SinkReplies replies, SinkStats stats) {
        this.session = new SinkSession(replies, stats);
        this.stats = stats;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        stats.sessionOpened();
        ctx.writeAndFlush(Unpooled.wrappedBuffer(session.greeting().wire()));
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        stats.sessionClosed();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (out != null) {
            out.release();
            out = null;
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        ByteBuf in = (ByteBuf) msg;
        try {
            if (!closing) {
                process(ctx, in);
            }
        } finally {
            in.release();
        }
        if (out != null) {
            ByteBuf replies = out;
            out = null;
            if (closing) {
                ctx.write(replies).addListener(ChannelFutureListener.CLOSE);
            } else {
                ctx.write(replies, ctx.voidPromise());
            }
            flushPending = true;
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
        if (ctx.channel().isWritable() && !closing) {
            ctx.channel().config().setAutoRead(true);
        }
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

    private void process(ChannelHandlerContext ctx, ByteBuf in) {
        while (in.isReadable() && !closing) {
            if (inData) {
                int end = data.scan(in);
                if (end < 0) {
                    in.skipBytes(in.readableBytes());
                    return;
                }
                in.readerIndex(end);
                inData = false;
                long queueId = session.onMessageEnd(data.bodyBytes());
                data.reset();
                writeQueued(ctx, queueId);
            } else if (frameLine(in)) {
                Reply reply = lineOverflow ? session.onLineTooLong() : session.onCommand(line, lineLength - 2);
                lineLength = 0;
                lineOverflow = false;
                lastWasCr = false;
                write(ctx, reply.wire());
                switch (reply.effect()) {
                    case START_DATA:
                        inData = true;
                        break;
                    case CLOSE:
                        closing = true;
                        break;
                    default:
                        break;
                }
            }
        }
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

    private void write(ChannelHandlerContext ctx, byte[] reply) {
        out(ctx).writeBytes(reply);
    }

    private void writeQueued(ChannelHandlerContext ctx, long queueId) {
        ByteBuf buf = out(ctx);
        buf.writeBytes(SinkReplies.QUEUED_PREFIX);
        // Twelve hex digits, like a Postfix short queue id in length.
        for (int shift = 44; shift >= 0; shift -= 4) {
            buf.writeByte(HEX[(int) (queueId >>> shift) & 0xF]);
        }
        buf.writeByte(CR).writeByte(LF);
    }
}
