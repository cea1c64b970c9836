package io.sluice.loadtest.sink;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Runs client input through a {@link SinkHandler} in an {@link EmbeddedChannel} and collects what it answers. */
final class Transcript {

    static final String HOSTNAME = "sink.test";

    private Transcript() {
    }

    /** What the sink sent, and its counters afterwards. */
    record Result(String replies, SinkStats.Snapshot stats, boolean open, List<ByteBuf> inputs) {
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Feeds the input in pieces ending at the given offsets (ascending, within the input). */
    static Result feed(byte[] input, int... cuts) {
        List<byte[]> chunks = new ArrayList<>();
        int from = 0;
        for (int cut : cuts) {
            chunks.add(java.util.Arrays.copyOfRange(input, from, cut));
            from = cut;
        }
        chunks.add(java.util.Arrays.copyOfRange(input, from, input.length));
        return feed(chunks);
    }

    static Result feed(List<byte[]> chunks) {
        SinkStats stats = new SinkStats();
        EmbeddedChannel channel = new EmbeddedChannel(new SinkHandler(new SinkReplies(HOSTNAME), stats, FaultPlan.NONE));
        StringBuilder replies = new StringBuilder();
        List<ByteBuf> inputs = new ArrayList<>();
        try {
            for (byte[] chunk : chunks) {
                if (chunk.length == 0) {
                    continue;
                }
                if (!channel.isOpen()) {
                    throw new AssertionError("input after the sink closed the connection");
                }
                ByteBuf buf = Unpooled.wrappedBuffer(chunk);
                inputs.add(buf);
                channel.writeInbound(buf);
                drain(channel, replies);
            }
            drain(channel, replies);
            return new Result(replies.toString(), stats.snapshot(0), channel.isOpen(), inputs);
        } finally {
            channel.finishAndReleaseAll();
        }
    }

    private static void drain(EmbeddedChannel channel, StringBuilder replies) {
        for (ByteBuf out = channel.readOutbound(); out != null; out = channel.readOutbound()) {
            try {
                replies.append(out.toString(StandardCharsets.ISO_8859_1));
            } finally {
                out.release();
            }
        }
    }

    /** RFC 5321 §4.5.2: a period is added in front of every line that starts with one. */
    static String dotStuff(String content) {
        StringBuilder stuffed = new StringBuilder(content.length() + 16);
        boolean lineStart = true;
        for (int i = 0; i < content.length(); i++) {
            char c = content.charAt(i);
            if (lineStart && c == '.') {
                stuffed.append('.');
            }
            stuffed.append(c);
            lineStart = c == '\n' && i > 0 && content.charAt(i - 1) == '\r';
        }
        return stuffed.toString();
    }
}
