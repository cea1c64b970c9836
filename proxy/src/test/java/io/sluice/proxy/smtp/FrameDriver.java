package io.sluice.proxy.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.sluice.config.BareLineEndings;
import io.sluice.proxy.smtp.SmtpFrame.DataOutcome;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;

/**
 * Runs an {@link SmtpFrameDecoder} in an {@link EmbeddedChannel} and answers its frames the way a session
 * would: message content after a DATA line, a command line after anything else, nothing after early talk.
 * Every buffer it hands out is released, and {@link #feed} fails if the decoder leaked one.
 */
final class FrameDriver {

    /** What the decoder produced, with runs of content joined so that differently split input compares equal. */
    sealed interface Event {}

    record Line(String text) implements Event {}

    record TooLong() implements Event {}

    record Early() implements Event {}

    /** Content octets as ISO-8859-1, so that every byte survives as one char. */
    record Content(String octets) implements Event {}

    record End(DataOutcome outcome, long size) implements Event {}

    /** When the session answers a frame: inside the decoder's read (a local reply) or after it (a backend reply). */
    enum Answer { AT_ONCE, LATER }

    private final BareLineEndings bareLineEndings;
    private final long maxMessageSize;
    private final Answer answer;
    private final boolean greeted;

    private FrameDriver(BareLineEndings bareLineEndings, long maxMessageSize, Answer answer, boolean greeted) {
        this.bareLineEndings = bareLineEndings;
        this.maxMessageSize = maxMessageSize;
        this.answer = answer;
        this.greeted = greeted;
    }

    static FrameDriver of(BareLineEndings bareLineEndings) {
        return new FrameDriver(bareLineEndings, Long.MAX_VALUE, Answer.LATER, true);
    }

    static FrameDriver rejecting() {
        return of(BareLineEndings.REJECT);
    }

    static FrameDriver normalizing() {
        return of(BareLineEndings.NORMALIZE);
    }

    FrameDriver withMaxMessageSize(long max) {
        return new FrameDriver(bareLineEndings, max, answer, greeted);
    }

    FrameDriver answering(Answer when) {
        return new FrameDriver(bareLineEndings, maxMessageSize, when, greeted);
    }

    /** A driver whose session has not sent its greeting yet. */
    FrameDriver beforeGreeting() {
        return new FrameDriver(bareLineEndings, maxMessageSize, answer, false);
    }

    List<Event> feed(String... chunks) {
        List<byte[]> bytes = new ArrayList<>();
        for (String chunk : chunks) {
            bytes.add(chunk.getBytes(StandardCharsets.ISO_8859_1));
        }
        return feed(bytes);
    }

    /** A channel to write to read by read, for tests that look between reads. */
    Run start() {
        return new Run();
    }

    /** Feeds the chunks as separate reads and returns what came out. */
    List<Event> feed(List<byte[]> chunks) {
        Run run = new Run();
        for (byte[] chunk : chunks) {
            run.write(chunk);
        }
        return run.finish();
    }

    /** One channel's life: the decoder, the session stand-in, and the allocator that proves nothing leaked. */
    final class Run {
        private final UnpooledByteBufAllocator alloc = new UnpooledByteBufAllocator(false);
        private final SmtpFrameDecoder decoder = new SmtpFrameDecoder(bareLineEndings);
        private final List<Event> events = new ArrayList<>();
        private final EmbeddedChannel channel;
        private boolean closing;

        Run() {
            channel = answer == Answer.AT_ONCE ? new EmbeddedChannel(decoder, new Session()) : new EmbeddedChannel(decoder);
            channel.config().setAllocator(alloc);
            if (greeted) {
                decoder.expectCommand();
            }
        }

        void write(byte[] chunk) {
            channel.writeInbound(alloc.buffer(chunk.length).writeBytes(chunk));
            answerLater();
        }

        List<Event> events() {
            return List.copyOf(events);
        }

        List<Event> finish() {
            // Closing decodes what is left over; that is an artifact of the test, so it is released, not recorded.
            closing = true;
            channel.close();
            for (Object frame; (frame = channel.readInbound()) != null; ) {
                release(frame);
            }
            channel.checkException();
            assertThat(alloc.metric().usedHeapMemory()).as("bytes of buffers the decoder never released").isZero();
            return events();
        }

        private void answerLater() {
            for (Object frame; (frame = channel.readInbound()) != null; ) {
                take((SmtpFrame) frame);
            }
            channel.checkException();
        }

        private void take(SmtpFrame frame) {
            Event event = eventOf(frame);
            int last = events.size() - 1;
            if (event instanceof Content more && last >= 0 && events.get(last) instanceof Content before) {
                events.set(last, new Content(before.octets() + more.octets()));
            } else {
                events.add(event);
            }
            // After early talk the session closes; content needs no answer.
            if (event instanceof Line line) {
                String verb = line.text().toUpperCase(Locale.ROOT);
                if (verb.equals("DATA")) {
                    decoder.expectData(maxMessageSize);
                } else if (verb.equals("STARTTLS")) {
                    // What the session driver does before the handshake; the handshake is not simulated.
                    decoder.discardBuffered();
                    decoder.expectCommand();
                } else {
                    decoder.expectCommand();
                }
            } else if (event instanceof TooLong || event instanceof End) {
                decoder.expectCommand();
            }
        }

        /** Answers inside the decoder's channelRead, as the session does for replies it makes itself. */
        private final class Session extends ChannelInboundHandlerAdapter {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (closing) {
                    release(msg);
                } else {
                    take((SmtpFrame) msg);
                }
            }
        }
    }

    private static Event eventOf(SmtpFrame frame) {
        if (frame instanceof SmtpFrame.CommandLine line) {
            return new Line(new String(line.line(), StandardCharsets.ISO_8859_1));
        } else if (frame instanceof SmtpFrame.CommandTooLong) {
            return new TooLong();
        } else if (frame instanceof SmtpFrame.EarlyTalk) {
            return new Early();
        } else if (frame instanceof SmtpFrame.DataEnd end) {
            return new End(end.outcome(), end.size());
        }
        return new Content(contentOf((SmtpFrame.DataContent) frame));
    }

    private static String contentOf(SmtpFrame.DataContent content) {
        ByteBuf buf = content.content();
        try {
            assertThat(buf.refCnt()).as("content handed over already released").isPositive();
            return buf.toString(StandardCharsets.ISO_8859_1);
        } finally {
            buf.release();
        }
    }

    private static void release(Object frame) {
        if (frame instanceof SmtpFrame.DataContent content) {
            content.content().release();
        }
    }

    /**
     * The events without the content of rejected messages: that content is dropped with the backend
     * connection, and how much of it was handed over before the failure showed depends on the reads.
     */
    static List<Event> withoutRejectedContent(List<Event> events) {
        List<Event> kept = new ArrayList<>();
        List<Event> section = new ArrayList<>();
        for (Event event : events) {
            if (event instanceof Content) {
                section.add(event);
                continue;
            }
            if (!(event instanceof End end && end.outcome() != DataOutcome.COMPLETE)) {
                kept.addAll(section);
            }
            section.clear();
            kept.add(event);
        }
        kept.addAll(section);
        return kept;
    }

    /** Every way of cutting the input in two, and one byte at a time. */
    static List<List<byte[]>> splits(byte[] input) {
        List<List<byte[]>> splits = new ArrayList<>();
        for (int at = 1; at < input.length; at++) {
            splits.add(List.of(Arrays.copyOfRange(input, 0, at),
                    Arrays.copyOfRange(input, at, input.length)));
        }
        List<byte[]> bytes = new ArrayList<>();
        for (byte b : input) {
            bytes.add(new byte[] {b});
        }
        splits.add(bytes);
        return splits;
    }

    /** The input cut at the given offsets (taken modulo its length, duplicates ignored). */
    static List<byte[]> cut(byte[] input, List<Integer> offsets) {
        if (input.length == 0) {
            return List.of(input);
        }
        TreeSet<Integer> at = new TreeSet<>();
        for (int offset : offsets) {
            at.add(Math.floorMod(offset, input.length));
        }
        at.add(input.length);
        List<byte[]> chunks = new ArrayList<>();
        int from = 0;
        for (int to : at) {
            if (to > from) {
                chunks.add(Arrays.copyOfRange(input, from, to));
                from = to;
            }
        }
        return chunks;
    }
}
