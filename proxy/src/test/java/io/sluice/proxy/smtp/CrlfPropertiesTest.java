package io.sluice.proxy.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;

/** The word-at-a-time scan for CRLF finds what a byte-by-byte look finds, from anywhere in any content. */
class CrlfPropertiesTest {

    @Provide
    Arbitrary<String> content() {
        // Mostly plain bytes, so that runs are long enough for whole words, with bare CRs and LFs and CRLFs.
        return Arbitraries.frequency(Tuple.of(20, "x"), Tuple.of(2, "\r"), Tuple.of(2, "\n"), Tuple.of(3, "\r\n"))
                .list().ofMaxSize(200).map(parts -> String.join("", parts));
    }

    @Property(tries = 2000)
    void findIsTheFirstCrlf(@ForAll("content") String content, @ForAll @IntRange(max = 300) int from) {
        int start = Math.min(from, content.length());
        ByteBuf in = Unpooled.wrappedBuffer(content.getBytes(StandardCharsets.US_ASCII));

        int expected = content.indexOf("\r\n", start);
        assertThat(Crlf.find(in, start, content.length())).isEqualTo(expected);
    }
}
