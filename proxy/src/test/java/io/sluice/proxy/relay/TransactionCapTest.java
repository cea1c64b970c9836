package io.sluice.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proxy.peers.SmtpSinkProcess;
import io.sluice.proxy.peers.SmtpSourceRun;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * {@code smtp.max-transactions}: a client that keeps one connection open for MAIL after MAIL (each a policy decision,
 * and a bucket for each new sender it makes up) is closed with a 421 once it has had its share.
 */
class TransactionCapTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    void aClientSendingMoreMessagesThanTheCapIsClosedAfterTheCap() throws Exception {
        try (SmtpSinkProcess sink = SmtpSinkProcess.start();
             RunningSluice sluice = RunningSluice.relayingTo(sink.port()).maxTransactions(4).start()) {
            // One session (-d: the next message over the same connection), ten messages one after the other.
            SmtpSourceRun run = SmtpSourceRun.to(sluice.port(), WAIT, "-d", "-s", "1", "-m", "10", "-l", "1000");

            assertThat(run.exitCode()).as(run.output()).isNotZero();
            assertThat(run.output()).contains("421 4.7.0 Too many transactions, closing connection");
            // Each 250 was the sink's, and smtp-source has finished: nothing more is on its way.
            assertThat(sink.messages()).hasSize(4);
        }
    }

    @Test
    void refusedMailCommandsCountToo() throws Exception {
        try (SmtpSinkProcess sink = SmtpSinkProcess.start();
             RunningSluice sluice = RunningSluice.relayingTo(sink.port()).maxTransactions(3).start();
             RawSmtpClient client = new RawSmtpClient(sluice.port())) {
            client.greetedAndIntroduced();
            assertThat(client.command("MAIL FROM:<a@sender.example>")).startsWith("250 ");
            assertThat(client.command("RSET")).startsWith("250 ");
            assertThat(client.command("MAIL FROM:<b@sender.example> SIZE=huge")).startsWith("555 ");
            assertThat(client.command("MAIL FROM:<c@sender.example>")).startsWith("250 ");
            assertThat(client.command("RSET")).startsWith("250 ");

            assertThat(client.command("MAIL FROM:<d@sender.example>"))
                    .isEqualTo("421 4.7.0 Too many transactions, closing connection");
            assertThat(client.closedWithoutReply()).isTrue();
        }
    }
}
