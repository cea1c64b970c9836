package io.sluice.proxy.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;

/** Runs a {@link SmtpReplyDecoder} in an {@link EmbeddedChannel} over input delivered in given reads. */
final class ReplyDriver {

    private ReplyDriver() {}

    /** The replies decoded from the reads; a malformed reply throws what the decoder threw. */
    static List<SmtpReply> decode(List<byte[]> reads) {
        EmbeddedChannel channel = new EmbeddedChannel(new SmtpReplyDecoder());
        try {
            for (byte[] read : reads) {
                channel.writeInbound(Unpooled.wrappedBuffer(read));
            }
            List<SmtpReply> replies = new ArrayList<>();
            for (Object reply; (reply = channel.readInbound()) != null; ) {
                replies.add((SmtpReply) reply);
            }
            return replies;
        } finally {
            channel.finishAndReleaseAll();
        }
    }

    /** Decodes the input whole, cut in two at every offset and a byte at a time; all must agree. */
    static List<SmtpReply> decodeHoweverSplit(byte[] input) {
        List<SmtpReply> whole = decode(List.of(input));
        for (List<byte[]> reads : FrameDriver.splits(input)) {
            assertThat(decode(reads)).as("%d reads, the first of %d octets", reads.size(), reads.get(0).length)
                    .isEqualTo(whole);
        }
        return whole;
    }
}
