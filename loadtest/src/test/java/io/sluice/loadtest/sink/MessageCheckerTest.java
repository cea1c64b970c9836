package io.sluice.loadtest.sink;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.sluice.loadtest.check.CheckHeader;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** The checker sees the body the generator hashed, however the data is stuffed and split. */
class MessageCheckerTest {

    private static byte[] sha256(byte[] bytes) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(bytes);
    }

    /** Headers with the check header, a blank line, the body, dot-stuffed, with the terminator. */
    private static byte[] data(String body, byte[] announced) {
        String content = "Subject: x\r\n" + new String(new CheckHeader("r1", 9, announced).line(),
                StandardCharsets.US_ASCII) + "\r\n" + body;
        return (Transcript.dotStuff(content) + ".\r\n").getBytes(StandardCharsets.ISO_8859_1);
    }

    private static MessageChecker feed(byte[] data, List<Integer> cuts) {
        MessageChecker checker = new MessageChecker();
        ByteBuf buf = Unpooled.wrappedBuffer(data);
        int from = 0;
        for (int cut : cuts.stream().map(c -> c % (data.length + 1)).sorted().toList()) {
            checker.feed(buf, from, cut);
            from = cut;
        }
        checker.feed(buf, from, data.length);
        return checker;
    }

    @Property
    void hashesTheBodyAsSentWhateverTheSplit(@ForAll("bodies") String body,
            @ForAll @Size(max = 6) List<@IntRange(min = 0, max = 100_000) Integer> cuts) throws Exception {
        byte[] hash = sha256(body.getBytes(StandardCharsets.ISO_8859_1));

        MessageChecker checker = feed(data(body, hash), cuts);

        Optional<CheckHeader> check = checker.check();
        assertThat(check).isPresent();
        assertThat(check.get().seq()).isEqualTo(9);
        assertThat(check.get().matches(checker.bodySha256())).isTrue();
    }

    @Property
    void aChangedBodyNoLongerMatches(@ForAll("bodies") String body) throws Exception {
        byte[] hash = sha256(body.getBytes(StandardCharsets.ISO_8859_1));

        MessageChecker checker = feed(data(body + "x\r\n", hash), List.of());

        assertThat(checker.check().orElseThrow().matches(checker.bodySha256())).isFalse();
    }

    @Property
    void findsNoHeaderWhereThereIsNone(@ForAll("bodies") String body) {
        byte[] data = (Transcript.dotStuff("Subject: x\r\n\r\n" + body) + ".\r\n")
                .getBytes(StandardCharsets.ISO_8859_1);

        assertThat(feed(data, List.of()).check()).isEmpty();
    }

    /** Bodies of CRLF lines, with leading dots, bare CR and LF inside lines, and lines that are a lone dot. */
    @Provide
    Arbitrary<String> bodies() {
        Arbitrary<String> lines = Arbitraries.oneOf(
                Arbitraries.strings().withChars("ab.\r\n ").ofMaxLength(20).map(s -> s.replace("\r\n", "")),
                Arbitraries.of(".", "..", ".\r", "\n.", ""));
        return lines.list().ofMaxSize(8).map(list -> {
            StringBuilder body = new StringBuilder();
            list.forEach(line -> body.append(line).append("\r\n"));
            return body.toString();
        });
    }
}
