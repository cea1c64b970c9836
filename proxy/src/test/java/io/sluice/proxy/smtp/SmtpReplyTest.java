package io.sluice.proxy.smtp;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SmtpReplyTest {

    @Test
    void lineWithoutEnhancedCodeGetsTheGenericOneOfItsClass() {
        assertThat(new SmtpReply(550, List.of("no such user")).withEnhancedCodes())
                .isEqualTo(new SmtpReply(550, List.of("5.0.0 no such user")));
        assertThat(new SmtpReply(451, List.of("")).withEnhancedCodes())
                .isEqualTo(new SmtpReply(451, List.of("4.0.0")));
    }

    @Test
    void linesThatHaveAnEnhancedCodeKeepIt() {
        SmtpReply reply = new SmtpReply(250, List.of("2.1.5 Ok", "2.0.0"));

        assertThat(reply.withEnhancedCodes()).isSameAs(reply);
    }

    @Test
    void onlyTheLinesWithoutOneGetIt() {
        assertThat(new SmtpReply(250, List.of("mx.example", "2.0.0 Ok", "2.0.0x")).withEnhancedCodes())
                .isEqualTo(new SmtpReply(250, List.of("2.0.0 mx.example", "2.0.0 Ok", "2.0.0 2.0.0x")));
    }

    @Test
    void intermediateRepliesCarryNoEnhancedCode() {
        // RFC 2034 §3: the 3xx replies are excepted.
        SmtpReply goAhead = new SmtpReply(354, List.of("End data with <CR><LF>.<CR><LF>"));

        assertThat(goAhead.withEnhancedCodes()).isSameAs(goAhead);
    }

    @Test
    void encodesEveryLineButTheLastWithAHyphen() {
        assertThat(new String(new SmtpReply(250, List.of("mx.example", "PIPELINING", "SIZE 10")).encode(), UTF_8))
                .isEqualTo("250-mx.example\r\n250-PIPELINING\r\n250 SIZE 10\r\n");
        assertThat(new String(SmtpReply.BYE.encode(), UTF_8)).isEqualTo("221 2.0.0 Bye\r\n");
    }

    @Test
    void codeOutsideTheRepliesIsRefused() {
        assertThatIllegalArgumentException().isThrownBy(() -> new SmtpReply(199, List.of("x")));
        assertThatIllegalArgumentException().isThrownBy(() -> new SmtpReply(600, List.of("x")));
        assertThatIllegalArgumentException().isThrownBy(() -> new SmtpReply(250, List.of()));
    }

    @Test
    void linesAreCopied() {
        List<String> lines = new ArrayList<>(List.of("Ok"));
        SmtpReply reply = new SmtpReply(250, lines);
        lines.add("later");

        assertThat(reply.lines()).containsExactly("Ok");
    }

    @Test
    void classOfTheReply() {
        assertThat(new SmtpReply(354, List.of("go")).isPositive()).isTrue();
        assertThat(SmtpReply.NEXT_HOP_LOST.isTransientFailure()).isTrue();
        assertThat(SmtpReply.NEXT_HOP_LOST.isPermanentFailure()).isFalse();
        assertThat(SmtpReply.BARE_LINE_ENDING.isPermanentFailure()).isTrue();
    }
}
