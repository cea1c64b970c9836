package io.sluice.loadtest.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SinkSessionTest {

    private SinkStats stats;
    private SinkSession session;
    private SinkReplies replies;

    @BeforeEach
    void newSession() {
        stats = new SinkStats();
        replies = new SinkReplies("sink.test");
        session = new SinkSession(replies, stats, FaultPlan.NONE);
    }

    private Reply send(String line) {
        byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
        // Framing hands over a longer, reused array; the session must only read up to the length.
        byte[] buffer = new byte[bytes.length + 8];
        System.arraycopy(bytes, 0, buffer, 0, bytes.length);
        buffer[bytes.length] = 'Z';
        return session.onCommand(buffer, bytes.length);
    }

    @Test
    void runsATransaction() {
        assertThat(send("EHLO client.example")).isSameAs(replies.ehlo());
        assertThat(send("MAIL FROM:<a@example.org> SMTPUTF8")).isSameAs(SinkReplies.SENDER_OK);
        assertThat(send("RCPT TO:<b@example.net>")).isSameAs(SinkReplies.RECIPIENT_OK);
        assertThat(send("RCPT TO:<c@example.net> NOTIFY=NEVER")).isSameAs(SinkReplies.RECIPIENT_OK);
        Reply data = send("DATA");
        assertThat(data).isSameAs(SinkReplies.START_DATA);
        assertThat(data.effect()).isEqualTo(Reply.Effect.START_DATA);

        assertThat(session.onMessageEnd(1234, new MessageChecker())).isNull();
        assertThat(stats.snapshot(0).messages()).isZero();
        assertThat(session.accept()).isEqualTo(1);
        assertThat(session.lastQueueId()).isEqualTo(1);
        assertThat(session.inTransaction()).isFalse();
        SinkStats.Snapshot counted = stats.snapshot(0);
        assertThat(counted.messages()).isEqualTo(1);
        assertThat(counted.recipients()).isEqualTo(2);
        assertThat(counted.bodyBytes()).isEqualTo(1234);
    }

    @Test
    void acceptsMailWithoutHelo() {
        // As Postfix does by default (smtpd_helo_required = no).
        assertThat(send("MAIL FROM:<>")).isSameAs(SinkReplies.SENDER_OK);
    }

    @ParameterizedTest
    @ValueSource(strings = {"mail from:<a@b>", "Mail From: <a@b>", "MAIL  FROM:<a@b>"})
    void readsVerbsAndKeywordsInAnyCase(String command) {
        assertThat(send(command)).isSameAs(SinkReplies.SENDER_OK);
    }

    @Test
    void enforcesTheCommandOrder() {
        assertThat(send("RCPT TO:<b@c>")).isSameAs(SinkReplies.NEED_MAIL);
        assertThat(send("DATA")).isSameAs(SinkReplies.NEED_MAIL);
        assertThat(send("MAIL FROM:<a@b>")).isSameAs(SinkReplies.SENDER_OK);
        assertThat(send("MAIL FROM:<a@b>")).isSameAs(SinkReplies.NESTED_MAIL);
        assertThat(send("DATA")).isSameAs(SinkReplies.NEED_RCPT);
        assertThat(send("XCLIENT ADDR=192.0.2.1")).isSameAs(SinkReplies.XCLIENT_IN_TRANSACTION);
        assertThatThrownBy(() -> session.onMessageEnd(1, new MessageChecker())).isInstanceOf(IllegalStateException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"RSET", "EHLO again", "HELO again"})
    void clearsTheTransaction(String command) {
        send("MAIL FROM:<a@b>");
        send("RCPT TO:<c@d>");

        send(command);

        assertThat(session.inTransaction()).isFalse();
        assertThat(session.recipients()).isZero();
        assertThat(send("DATA")).isSameAs(SinkReplies.NEED_MAIL);
    }

    @Test
    void answersXclientWithANewGreeting() {
        Reply reply = send("XCLIENT NAME=mail.example ADDR=192.0.2.1 PORT=4711 PROTO=ESMTP HELO=mail.example");

        assertThat(reply).isSameAs(replies.greeting());
        assertThat(reply.toString()).isEqualTo("220 sink.test ESMTP Sluice sink");
    }

    @Test
    void checksSyntax() {
        assertThat(send("")).isSameAs(SinkReplies.EMPTY_LINE);
        assertThat(send("EHLO")).isSameAs(SinkReplies.EHLO_SYNTAX);
        assertThat(send("HELO   ")).isSameAs(SinkReplies.HELO_SYNTAX);
        assertThat(send("MAIL TO:<a@b>")).isSameAs(SinkReplies.MAIL_SYNTAX);
        assertThat(send("RCPT FROM:<a@b>")).isSameAs(SinkReplies.RCPT_SYNTAX);
        assertThat(send("XCLIENT")).isSameAs(SinkReplies.XCLIENT_SYNTAX);
        assertThat(send("RSET now")).isSameAs(SinkReplies.NO_ARGUMENTS);
        assertThat(send("QUIT now")).isSameAs(SinkReplies.NO_ARGUMENTS);
        assertThat(send("NOOP anything")).isSameAs(SinkReplies.OK);
        assertThat(send("MAILFROM:<a@b>")).isSameAs(SinkReplies.UNRECOGNIZED);
        assertThat(send("STARTTLS")).isSameAs(SinkReplies.UNRECOGNIZED);
        assertThat(send("QUIT")).isSameAs(SinkReplies.BYE);
        assertThat(SinkReplies.BYE.effect()).isEqualTo(Reply.Effect.CLOSE);
    }

    @Test
    void refusesAHostnameThatWouldBreakTheGreeting() {
        assertThatThrownBy(() -> new SinkReplies("two words")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expected: printable ASCII");
        assertThatThrownBy(() -> new SinkReplies("")).isInstanceOf(IllegalArgumentException.class);
    }
}
