package io.sluice.loadtest.sink;

import static io.sluice.loadtest.sink.Transcript.ascii;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.List;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** End-of-data detection must not depend on where TCP happens to split the stream. */
class EndOfDataPropertyTest {

    /** The end offset and body size that {@link EndOfDataScanner} reports for input fed in pieces. */
    private record Scan(long end, long bodyBytes) {
    }

    private static Scan scanInPieces(byte[] data, List<Integer> cutSeeds) {
        TreeSet<Integer> cuts = new TreeSet<>();
        for (int seed : cutSeeds) {
            cuts.add(seed % (data.length + 1));
        }
        cuts.add(data.length);
        EndOfDataScanner scanner = new EndOfDataScanner();
        int from = 0;
        for (int cut : cuts) {
            // Each piece sits after a few bytes of junk that the reader index skips, as in a reused read buffer.
            ByteBuf piece = Unpooled.buffer(3 + cut - from);
            try {
                piece.writeBytes(ascii(".\r\n")).writeBytes(data, from, cut - from).readerIndex(3);
                int end = scanner.scan(piece);
                if (end >= 0) {
                    return new Scan(from + end - 3, scanner.bodyBytes());
                }
            } finally {
                piece.release();
            }
            from = cut;
        }
        return new Scan(-1, -1);
    }

    /**
     * The specification, written the slow and obvious way: data ends at the first CRLF.CRLF, counting the CRLF
     * of the DATA command as the one before the first line; the content is every line before the terminating one,
     * with a leading period removed from each.
     */
    private static Scan reference(byte[] data) {
        String stream = "\r\n" + new String(data, java.nio.charset.StandardCharsets.ISO_8859_1);
        int terminator = stream.indexOf("\r\n.\r\n");
        if (terminator < 0) {
            return new Scan(-1, -1);
        }
        String content = stream.substring(2, terminator + 2);
        long body = 0;
        for (String line : content.split("\r\n", -1)) {
            body += line.startsWith(".") ? line.length() - 1 : line.length();
        }
        body += 2L * (content.split("\r\n", -1).length - 1);
        return new Scan(terminator + 3, body);
    }

    @Property
    void agreesWithTheSpecificationHoweverTheDataIsSplit(@ForAll("smtpishBytes") byte[] data,
            @ForAll("cutSeeds") List<Integer> cutSeeds) {
        assertThat(scanInPieces(data, cutSeeds)).isEqualTo(reference(data));
    }

    @Property
    void findsTheEndOfEveryDotStuffedMessage(@ForAll("smtpishText") String content,
            @ForAll("smtpishText") String nextCommands, @ForAll("cutSeeds") List<Integer> cutSeeds) {
        // A message's content always ends with CRLF: the client adds one if the last line lacks it.
        String message = content.endsWith("\r\n") || content.isEmpty() ? content : content + "\r\n";
        String stuffed = Transcript.dotStuff(message);
        byte[] stream = ascii(stuffed + ".\r\n" + nextCommands);

        Scan scan = scanInPieces(stream, cutSeeds);

        assertThat(scan.end()).isEqualTo(stuffed.length() + 3);
        assertThat(scan.bodyBytes()).isEqualTo(message.length());
    }

    @Provide
    Arbitrary<byte[]> smtpishBytes() {
        return smtpishText().map(Transcript::ascii);
    }

    /** Text rich in the octets that matter, so that near-terminators turn up often. */
    @Provide
    Arbitrary<String> smtpishText() {
        return Arbitraries.frequencyOf(
                        net.jqwik.api.Tuple.of(4, Arbitraries.of("\r\n", ".", "\r", "\n", "\r\n.\r\n", "\r\n.")),
                        net.jqwik.api.Tuple.of(3, Arbitraries.strings().withChars('a', 'b', ' ', '\u00e9').ofMaxLength(5)))
                .list().ofMaxSize(40)
                .map(parts -> String.join("", parts));
    }

    @Provide
    Arbitrary<List<Integer>> cutSeeds() {
        return Arbitraries.integers().between(0, 10_000).list().ofMaxSize(8);
    }
}
