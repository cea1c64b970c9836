package io.sluice.proxy.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import io.sluice.config.BareLineEndings;
import io.sluice.proxy.smtp.SmtpFrameDecoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The framing of one message's content, as the relay frames every byte a client sends after DATA: a 100 KB message
 * of 78-octet lines and its final dot, in reads of 16 KB from a pooled direct buffer, as a socket delivers them.
 * What comes out is released at once; the time is the decoder's scan, stuffing and counting.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = "-Xmx512m")
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class DataFramingBenchmark {

    private static final int READ = 16 * 1024;

    @Param({"REJECT", "NORMALIZE"})
    public BareLineEndings bareLineEndings;

    private ByteBuf message;
    private SmtpFrameDecoder decoder;
    private EmbeddedChannel channel;

    @Setup
    public void setUp() {
        StringBuilder text = new StringBuilder();
        while (text.length() < 100_000) {
            text.append("x".repeat(76)).append("\r\n");
        }
        text.append(".\r\n");
        byte[] bytes = text.toString().getBytes(StandardCharsets.US_ASCII);
        message = PooledByteBufAllocator.DEFAULT.directBuffer(bytes.length).writeBytes(bytes);
        decoder = new SmtpFrameDecoder(bareLineEndings);
        channel = new EmbeddedChannel(decoder);
    }

    @TearDown
    public void tearDown() {
        channel.finishAndReleaseAll();
        message.release();
    }

    @Benchmark
    public int message() {
        decoder.expectData(Long.MAX_VALUE);
        int frames = 0;
        for (int at = 0; at < message.writerIndex(); at += READ) {
            channel.writeInbound(message.retainedSlice(at, Math.min(READ, message.writerIndex() - at)));
            for (Object frame; (frame = channel.readInbound()) != null; frames++) {
                ReferenceCountUtil.release(frame);
            }
        }
        return frames;
    }
}
