package io.sluice.proxy.smtp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.ByteProcessor;
import io.sluice.config.BareLineEndings;
import io.sluice.proxy.smtp.SmtpFrame.DataOutcome;
import java.util.List;

/**
 * Strict SMTP framing for the server side. Only CRLF ends a line (RFC 5321 §2.3.8): Netty's
 * {@code LineBasedFrameDecoder} also splits on a bare LF, which is exactly the SMTP smuggling hole.
 *
 * <p>The decoder is pulled, not pushed: after each command line (and at the end of data) it pauses until
 * the session asks for the next frame, because what follows a DATA or STARTTLS line is framed differently
 * depending on the reply. It also owns reading: auto-read stays on (toggling interest on every command
 * costs two system calls with epoll) and is turned off only while the session holds reads (backpressure),
 * while paused with more than {@value #MAX_BUFFERED_WHILE_PAUSED} octets buffered (a client pipelining
 * without bound), or while the channel is not writable (a client pipelining without reading its replies, which
 * would otherwise pile up here).
 */
public final class SmtpFrameDecoder extends ByteToMessageDecoder {

    // RFC 5321 §4.5.3.1.4: 512 octets including CRLF.
    static final int MAX_COMMAND_LINE = 512;
    // RFC 5321 §4.5.3.1.6: 1000 octets including CRLF, not counting a stuffed dot.
    static final int MAX_TEXT_LINE = 1000;
    // A full RFC 2920 command group fits many times over.
    static final int MAX_BUFFERED_WHILE_PAUSED = 16 * 1024;

    private static final byte CR = '\r';
    private static final byte LF = '\n';
    private static final byte DOT = '.';

    private enum Mode { BEFORE_GREETING, COMMAND, DATA }

    private final BareLineEndings bareLineEndings;
    private ChannelHandlerContext ctx;
    private Mode mode = Mode.BEFORE_GREETING;
    private boolean paused;
    private boolean readsHeld;
    private boolean inChannelRead;

    // Command mode: discarding the rest of an overlong line.
    private boolean discardingLongLine;

    // Data mode, carried across reads.
    private long maxMessageSize;
    private long size;
    private DataOutcome failure;
    private boolean atLineStart;
    private boolean stuffLeadingDot;
    private int lineLength;

    public SmtpFrameDecoder(BareLineEndings bareLineEndings) {
        this.bareLineEndings = bareLineEndings;
    }

    /** Frame the next command line; called once the previous frame has been answered. */
    public void expectCommand() {
        mode = Mode.COMMAND;
        resume();
    }

    /** Frame message content (after a 354) until the end-of-data line. */
    public void expectData(long maxMessageSize) {
        this.maxMessageSize = maxMessageSize;
        mode = Mode.DATA;
        size = 0;
        failure = null;
        atLineStart = true;
        stuffLeadingDot = false;
        lineLength = 0;
        resume();
    }

    /** Whether message content is being framed (between the 354 and the end-of-data line). */
    public boolean framingData() {
        return mode == Mode.DATA;
    }

    /** Content octets read so far of the message being framed. */
    public long dataOctets() {
        return size;
    }

    /**
     * Drops every byte received but not yet framed. After STARTTLS they were sent in clear before the
     * handshake and must not be acted on (CVE-2011-0411).
     */
    public void discardBuffered() {
        ByteBuf buffered = internalBuffer();
        buffered.skipBytes(buffered.readableBytes());
    }

    /** Stops or restarts reading from the socket while the other side is slow (backpressure). */
    public void holdReads(boolean hold) {
        readsHeld = hold;
        updateAutoRead();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        super.channelActive(ctx);
        updateAutoRead();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        inChannelRead = true;
        try {
            super.channelRead(ctx, msg);
        } finally {
            inChannelRead = false;
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        // Not super: its read-ahead when no frame came out is decided here instead.
        discardSomeReadBytes();
        ctx.fireChannelReadComplete();
        updateAutoRead();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        updateAutoRead();
        super.channelWritabilityChanged(ctx);
    }

    private void resume() {
        paused = false;
        if (ctx == null || inChannelRead) {
            // Inside decoding the loop in ByteToMessageDecoder picks the buffered bytes up itself.
            return;
        }
        try {
            channelRead(ctx, Unpooled.EMPTY_BUFFER);
        } catch (Exception e) {
            ctx.fireExceptionCaught(e);
            return;
        }
        updateAutoRead();
    }

    private void updateAutoRead() {
        if (ctx == null) {
            return;
        }
        boolean flooding = paused && internalBuffer().readableBytes() > MAX_BUFFERED_WHILE_PAUSED;
        boolean read = !readsHeld && !flooding && ctx.channel().isWritable();
        // Only a change costs anything; setting the same value again is a no-op.
        if (ctx.channel().config().isAutoRead() != read) {
            ctx.channel().config().setAutoRead(read);
        }
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (paused) {
            return;
        }
        switch (mode) {
            case BEFORE_GREETING -> {
                in.skipBytes(in.readableBytes());
                deliver(out, new SmtpFrame.EarlyTalk(), true);
            }
            case COMMAND -> decodeCommand(in, out);
            case DATA -> decodeData(in, out);
        }
    }

    private void deliver(List<Object> out, Object frame, boolean pause) {
        out.add(frame);
        if (pause) {
            paused = true;
        }
    }

    private void decodeCommand(ByteBuf in, List<Object> out) {
        int start = in.readerIndex();
        int end = in.writerIndex();
        int lineEnd = Crlf.find(in, start, end);
        if (discardingLongLine) {
            if (lineEnd < 0) {
                // Keep a trailing CR: it may be the first half of the CRLF that ends the line.
                in.readerIndex(in.getByte(end - 1) == CR ? end - 1 : end);
                return;
            }
            in.readerIndex(lineEnd + 2);
            discardingLongLine = false;
            deliver(out, new SmtpFrame.CommandTooLong(), true);
            return;
        }
        if (lineEnd >= 0 && lineEnd + 2 - start <= MAX_COMMAND_LINE) {
            byte[] line = new byte[lineEnd - start];
            in.readBytes(line);
            in.skipBytes(2);
            deliver(out, new SmtpFrame.CommandLine(line), true);
        } else if (lineEnd >= 0 || end - start >= MAX_COMMAND_LINE) {
            discardingLongLine = true;
            decodeCommand(in, out);
        }
    }

    private void decodeData(ByteBuf in, List<Object> out) {
        int end = in.writerIndex();
        int i = in.readerIndex();
        int runStart = i;
        while (i < end) {
            byte b = in.getByte(i);
            if (stuffLeadingDot) {
                // A line that only normalizing started: a dot here is content, so it gets stuffed.
                stuffLeadingDot = false;
                if (b == DOT) {
                    emit(in, runStart, i, out);
                    emitConstant(".", out);
                    runStart = i;
                }
            }
            if (b == DOT && atLineStart) {
                if (i + 2 >= end) {
                    if (i + 1 < end && in.getByte(i + 1) != CR) {
                        atLineStart = false;
                        lineLength = 0;
                        i++;
                        continue;
                    }
                    break;
                }
                if (in.getByte(i + 1) == CR && in.getByte(i + 2) == LF) {
                    emit(in, runStart, i, out);
                    in.readerIndex(i + 3);
                    deliver(out, new SmtpFrame.DataEnd(failure == null ? DataOutcome.COMPLETE : failure, size), true);
                    mode = Mode.COMMAND;
                    return;
                }
                // The stuffed dot does not count towards the line length.
                atLineStart = false;
                lineLength = -1;
            }
            if (b == CR) {
                if (i + 1 >= end) {
                    break;
                }
                if (in.getByte(i + 1) == LF) {
                    i += 2;
                    atLineStart = true;
                    lineLength = 0;
                    continue;
                }
                runStart = bareLineEnding(in, runStart, i, out);
            } else if (b == LF) {
                runStart = bareLineEnding(in, runStart, i, out);
            } else {
                // The rest of the line up to the next CR or LF is plain content: skip it in one scan instead of
                // byte by byte (a line-start dot, the only other byte with a meaning, was this byte).
                atLineStart = false;
                int lineBreak = in.forEachByte(i + 1, end - i - 1, ByteProcessor.FIND_CRLF);
                int runEnd = lineBreak < 0 ? end : lineBreak;
                lineLength += runEnd - i;
                if (lineLength > MAX_TEXT_LINE - 2) {
                    fail(DataOutcome.LINE_TOO_LONG);
                }
                i = runEnd;
                continue;
            }
            i++;
        }
        emit(in, runStart, i, out);
        in.readerIndex(i);
    }

    /** Handles a CR or LF at {@code at} that is not part of CRLF; returns where the next run starts. */
    private int bareLineEnding(ByteBuf in, int runStart, int at, List<Object> out) {
        if (bareLineEndings == BareLineEndings.REJECT) {
            fail(DataOutcome.BARE_LINE_ENDING);
            atLineStart = false;
            lineLength++;
            return runStart;
        }
        // Normalize: a real line end, but never the start of an end-of-data line. A line that is only a
        // stuffed dot so far would become one ("CRLF . CRLF" at the next hop): unstuffed it is empty, so
        // the dot goes. It is never emitted yet: a line-start dot waits for the byte after it.
        boolean loneStuffedDot = lineLength == 0 && at > runStart && in.getByte(at - 1) == DOT;
        emit(in, runStart, loneStuffedDot ? at - 1 : at, out);
        emitConstant("\r\n", out);
        atLineStart = false;
        stuffLeadingDot = true;
        lineLength = 0;
        return at + 1;
    }

    private void fail(DataOutcome outcome) {
        // By rank, not by arrival: the size limit is only checked per run, so which failure comes first
        // would depend on how the bytes were split into reads.
        if (failure == null || outcome.compareTo(failure) < 0) {
            failure = outcome;
        }
    }

    private void emit(ByteBuf in, int from, int to, List<Object> out) {
        if (to <= from || !count(to - from)) {
            return;
        }
        deliver(out, new SmtpFrame.DataContent(in.retainedSlice(from, to - from)), false);
    }

    private void emitConstant(String text, List<Object> out) {
        if (!count(text.length())) {
            return;
        }
        deliver(out, new SmtpFrame.DataContent(Unpooled.copiedBuffer(text, java.nio.charset.StandardCharsets.US_ASCII)),
                false);
    }

    /** Counts content octets, also after a failure so the size is that of the whole message; whether to deliver them. */
    private boolean count(int octets) {
        size += octets;
        if (size > maxMessageSize) {
            fail(DataOutcome.TOO_BIG);
        }
        return failure == null;
    }
}
