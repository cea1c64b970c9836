package io.sluice.loadtest.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SessionScriptTest {

    private final List<String> ended = new ArrayList<>();
    private int seq;

    private SessionScript script(int messages, int recipients) {
        return new SessionScript(messages, recipients, "client.test", "rcpt.test", new SessionScript.Messages() {
            @Override
            public int nextSeq() {
                return seq++;
            }

            @Override
            public byte[] content(int n, String recipient) {
                return ("Subject: " + n + "\r\n\r\nbody\r\n.\r\n").getBytes(StandardCharsets.US_ASCII);
            }

            @Override
            public String sender(int seq) {
                return "a@sender.test";
            }
        }, (n, outcome) -> ended.add(n + " " + outcome));
    }

    private static String sent(SessionScript.Action action) {
        return action.command() == null ? "" : new String(action.command(), StandardCharsets.US_ASCII);
    }

    @Test
    void runsMessagesOneCommandAtATime() {
        SessionScript script = script(2, 2);

        assertThat(sent(script.onReply(220))).isEqualTo("EHLO client.test\r\n");
        assertThat(sent(script.onReply(250))).isEqualTo("MAIL FROM:<a@sender.test>\r\n");
        assertThat(sent(script.onReply(250))).isEqualTo("RCPT TO:<rcpt0@rcpt.test>\r\n");
        assertThat(sent(script.onReply(250))).isEqualTo("RCPT TO:<rcpt1@rcpt.test>\r\n");
        assertThat(sent(script.onReply(250))).isEqualTo("DATA\r\n");
        assertThat(sent(script.onReply(354))).isEqualTo("Subject: 0\r\n\r\nbody\r\n.\r\n");
        assertThat(script.stage()).isEqualTo(Stage.DOT);
        assertThat(sent(script.onReply(250))).startsWith("MAIL FROM:");
        script.onReply(250);
        script.onReply(250);
        script.onReply(250);
        script.onReply(354);
        assertThat(sent(script.onReply(250))).isEqualTo("QUIT\r\n");
        assertThat(script.onReply(221).close()).isTrue();
        assertThat(script.finished()).isTrue();
        assertThat(ended).containsExactly("0 ADMITTED", "1 ADMITTED");
    }

    @Test
    void aRefusedMailEndsOnlyThatMessage() {
        SessionScript script = script(2, 1);
        script.onReply(220);
        script.onReply(250);

        assertThat(sent(script.onReply(451))).startsWith("MAIL FROM:");
        assertThat(ended).containsExactly("0 TEMPFAILED");
        script.onReply(550);
        assertThat(ended).containsExactly("0 TEMPFAILED", "1 REJECTED");
        assertThat(script.stage()).isEqualTo(Stage.QUIT);
    }

    @Test
    void keepsGoingWithTheRecipientsThatWereAccepted() {
        SessionScript script = script(1, 3);
        script.onReply(220);
        script.onReply(250);
        script.onReply(250);
        script.onReply(452);
        script.onReply(250);

        assertThat(sent(script.onReply(250))).isEqualTo("DATA\r\n");
    }

    @Test
    void resetsAfterAMessageWithoutRecipientsOrRefusedData() {
        SessionScript script = script(2, 1);
        script.onReply(220);
        script.onReply(250);
        script.onReply(250);

        assertThat(sent(script.onReply(550))).isEqualTo("RSET\r\n");
        assertThat(sent(script.onReply(250))).startsWith("MAIL FROM:");
        script.onReply(250);
        assertThat(sent(script.onReply(451))).isEqualTo("RSET\r\n");
        assertThat(ended).containsExactly("0 REJECTED", "1 TEMPFAILED");
    }

    @Test
    void a421EndsEveryMessageLeft() {
        SessionScript script = script(3, 1);

        SessionScript.Action action = script.onReply(421);

        assertThat(action.close()).isTrue();
        assertThat(action.command()).isNull();
        assertThat(ended).containsExactly("0 TEMPFAILED", "1 TEMPFAILED", "2 TEMPFAILED");
    }

    @Test
    void anAbortEndsTheMessageUnderWayAndTheRestAsErrors() {
        SessionScript script = script(2, 1);
        script.onReply(220);
        script.onReply(250);
        script.onReply(250);

        script.abort(MessageOutcome.ERROR);

        assertThat(ended).containsExactly("0 ERROR", "1 ERROR");
        assertThat(script.finished()).isTrue();
        assertThat(script.onReply(250).close()).isTrue();
    }
}
