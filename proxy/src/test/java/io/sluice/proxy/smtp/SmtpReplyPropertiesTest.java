package io.sluice.proxy.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

class SmtpReplyPropertiesTest {

    // RFC 3463 §2 as a pattern: what the hand-written check must agree with.
    private static final Pattern ENHANCED = Pattern.compile("^[245]\\.\\d{1,3}\\.\\d{1,3}( |$)");

    @Property(tries = 3_000)
    void enhancedCodeCheckAgreesWithTheRfc3463Pattern(@ForAll("codeLike") String line) {
        assertThat(SmtpReply.hasEnhancedCode(line)).as("%s", line).isEqualTo(ENHANCED.matcher(line).find());
    }

    @Provide
    Arbitrary<String> codeLike() {
        // Mostly digits and dots, so that near misses (four digits, a missing part, a letter) come up often.
        return Arbitraries.strings().withChars("0123456789. 2.45x\u0663").ofMaxLength(12);
    }

    @Property
    void encodedRepliesDecodeToThemselvesHoweverSplit(@ForAll("replies") List<SmtpReply> replies,
                                                      @ForAll @Size(max = 8) List<@IntRange(max = 10_000) Integer> cuts) {
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        for (SmtpReply reply : replies) {
            wire.writeBytes(reply.encode());
        }

        assertThat(ReplyDriver.decode(FrameDriver.cut(wire.toByteArray(), cuts))).isEqualTo(replies);
    }

    @Property
    void withEnhancedCodesGivesEveryLineButIntermediatesAnEnhancedCode(@ForAll("replies") List<SmtpReply> replies) {
        for (SmtpReply reply : replies) {
            SmtpReply coded = reply.withEnhancedCodes();
            assertThat(coded.code()).isEqualTo(reply.code());
            assertThat(coded.lines()).hasSameSizeAs(reply.lines());
            if (reply.code() / 100 != 3) {
                assertThat(coded.lines()).allSatisfy(line -> assertThat(line).matches("[245]\\.\\d{1,3}\\.\\d{1,3}( .*)?"));
                assertThat(coded.withEnhancedCodes()).isEqualTo(coded);
            }
        }
    }

    @Provide
    Arbitrary<List<SmtpReply>> replies() {
        Arbitrary<String> text = Arbitraries.oneOf(
                Arbitraries.strings().withCharRange(' ', '~').ofMaxLength(60),
                Arbitraries.strings().withChars("ab 2.0.1-\u00e9\u20ac").ofMaxLength(20),
                Arbitraries.of("2.0.0 Ok", "5.1.1 no such user", "4.7.0 try later", ""));
        Arbitrary<SmtpReply> reply = Combinators.combine(
                Arbitraries.integers().between(200, 599), text.list().ofMinSize(1).ofMaxSize(5))
                .as(SmtpReply::new);
        return reply.list().ofMaxSize(6);
    }
}
