package io.sluice.loadtest.sink;

import static io.sluice.loadtest.sink.Transcript.ascii;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** A whole pipelined session gets the same replies and counts however its bytes are split into reads. */
class SinkHandlerPropertyTest {

    /** One message: its content as the recipient sees it, and how many recipients it is sent to. */
    record Message(String content, int recipients) {
    }

    @Property(tries = 300)
    void repliesAndCountsDoNotDependOnReadBoundaries(@ForAll("messages") List<Message> messages,
            @ForAll("cutSeeds") List<Integer> cutSeeds) {
        StringBuilder input = new StringBuilder("EHLO client.example\r\n");
        StringBuilder expected = new StringBuilder("220 sink.test ESMTP Sluice sink\r\n")
                .append(new String(new SinkReplies(Transcript.HOSTNAME).ehlo().wire(),
                        java.nio.charset.StandardCharsets.US_ASCII));
        long bodyBytes = 0;
        long recipients = 0;
        int queueId = 0;
        for (Message message : messages) {
            input.append("MAIL FROM:<a@example.org>\r\n");
            expected.append("250 2.1.0 Ok\r\n");
            for (int r = 0; r < message.recipients(); r++) {
                input.append("RCPT TO:<r").append(r).append("@example.net>\r\n");
                expected.append("250 2.1.5 Ok\r\n");
            }
            input.append("DATA\r\n").append(Transcript.dotStuff(message.content())).append(".\r\n");
            expected.append("354 End data with <CR><LF>.<CR><LF>\r\n")
                    .append(String.format("250 2.0.0 Ok: queued as %012X\r\n", ++queueId));
            bodyBytes += message.content().length();
            recipients += message.recipients();
        }
        input.append("QUIT\r\n");
        expected.append("221 2.0.0 Bye\r\n");
        byte[] bytes = ascii(input.toString());
        TreeSet<Integer> cuts = new TreeSet<>();
        for (int seed : cutSeeds) {
            cuts.add(seed % (bytes.length + 1));
        }

        Transcript.Result result = Transcript.feed(bytes, cuts.stream().mapToInt(Integer::intValue).toArray());

        assertThat(result.replies()).isEqualTo(expected.toString());
        assertThat(result.stats().messages()).isEqualTo(messages.size());
        assertThat(result.stats().recipients()).isEqualTo(recipients);
        assertThat(result.stats().bodyBytes()).isEqualTo(bodyBytes);
    }

    @Provide
    Arbitrary<List<Message>> messages() {
        Arbitrary<String> line = Arbitraries.frequencyOf(
                        net.jqwik.api.Tuple.of(1, Arbitraries.of(".", "..", ".\r", "\r", "\n", ".\n", "", " ")),
                        net.jqwik.api.Tuple.of(2, Arbitraries.strings().withChars('a', '.', ' ', '\r', '\n')
                                .ofMaxLength(30)));
        Arbitrary<String> content = line.list().ofMaxSize(12)
                .map(lines -> lines.stream().map(l -> l + "\r\n").reduce("", String::concat));
        return Combinators.combine(content, Arbitraries.integers().between(1, 3))
                .as(Message::new)
                .list().ofMaxSize(4);
    }

    @Provide
    Arbitrary<List<Integer>> cutSeeds() {
        return Arbitraries.integers().between(0, 100_000).list().ofMaxSize(12);
    }
}
