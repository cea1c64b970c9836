package io.sluice.proxy.smtp;

import static io.sluice.proxy.smtp.ReplyDriver.decode;
import static io.sluice.proxy.smtp.ReplyDriver.decodeHoweverSplit;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.TooLongFrameException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SmtpReplyDecoderTest {

    @Test
    void singleLineReply() {
        assertThat(decodeHoweverSplit(bytes("250 2.0.0 Ok\r\n")))
                .containsExactly(new SmtpReply(250, List.of("2.0.0 Ok")));
    }

    @Test
    void multiLineReplyIsOneReply() {
        assertThat(decodeHoweverSplit(bytes("250-backend.example\r\n250-PIPELINING\r\n250 SIZE 1000\r\n")))
                .containsExactly(new SmtpReply(250, List.of("backend.example", "PIPELINING", "SIZE 1000")));
    }

    @Test
    void codeWithoutText() {
        assertThat(decodeHoweverSplit(bytes("250\r\n354-\r\n354 go\r\n")))
                .containsExactly(new SmtpReply(250, List.of("")), new SmtpReply(354, List.of("", "go")));
    }

    @Test
    void pipelinedRepliesInOneRead() {
        assertThat(decodeHoweverSplit(bytes("250 2.1.0 Ok\r\n550-5.1.1 no\r\n550 5.1.1 such user\r\n354 go\r\n")))
                .containsExactly(new SmtpReply(250, List.of("2.1.0 Ok")),
                        new SmtpReply(550, List.of("5.1.1 no", "5.1.1 such user")), new SmtpReply(354, List.of("go")));
    }

    @Test
    void incompleteReplyWaitsForItsLastLine() {
        assertThat(decode(List.of(bytes("250-backend.example\r\n250-PIPELINING\r\n250 SIZE")))).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"25 ok", "2500 ok", "25x ok", "250_ok", "250\tok", "199 informational", "600 unknown",
            "250-a\r\n251 b", "250 a\nb", "250 a\rb", "\u0662\u0665\u0660 Arabic-Indic digits", ""})
    void malformedReplyFailsTheConnection(String reply) {
        assertThatThrownBy(() -> decode(List.of(bytes(reply + "\r\n"))))
                .isInstanceOf(CorruptedFrameException.class);
    }

    @Test
    void replyLineUpTo2048OctetsIsAccepted() {
        String text = "x".repeat(SmtpReplyDecoder.MAX_REPLY_LINE - 6);

        assertThat(decode(List.of(bytes("250 " + text + "\r\n")))).containsExactly(new SmtpReply(250, List.of(text)));
    }

    @Test
    void longerReplyLineFailsTheConnection() {
        String text = "x".repeat(SmtpReplyDecoder.MAX_REPLY_LINE - 5);

        assertThatThrownBy(() -> decode(List.of(bytes("250 " + text + "\r\n"))))
                .isInstanceOf(TooLongFrameException.class);
        assertThatThrownBy(() -> decode(List.of(bytes("250 " + text + "x"))))
                .as("without waiting for its end").isInstanceOf(TooLongFrameException.class);
    }

    @Test
    void replyOfMoreThan100LinesFailsTheConnection() {
        assertThat(decode(List.of(bytes("250-x\r\n".repeat(99) + "250 x\r\n")))).hasSize(1);
        assertThatThrownBy(() -> decode(List.of(bytes("250-x\r\n".repeat(100) + "250 x\r\n"))))
                .isInstanceOf(TooLongFrameException.class);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(UTF_8);
    }
}
