package io.sluice.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.sluice.config.DrainConfig;
import io.sluice.proxy.lifecycle.NodeState;
import io.sluice.proxy.peers.SmtpSinkProcess;
import java.io.IOException;
import java.net.ConnectException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The drain, started as SIGTERM starts it, seen from clients: announce, stop accepting, goodbye, deadline. */
class DrainTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void idleSessionsAreServedDuringTheAnnounceThenGet421AndNewOnesAreRefused() throws Exception {
        try (SmtpSinkProcess sink = SmtpSinkProcess.start();
             RunningSluice sluice = RunningSluice.relayingTo(sink.port())
                     .drain(new DrainConfig(Duration.ofSeconds(1), Duration.ofSeconds(10))).start();
             RawSmtpClient idle = new RawSmtpClient(sluice.port())) {
            assertThat(idle.reply()).startsWith("220 ");
            assertThat(idle.command("EHLO client.example")).startsWith("250 ");
            NodeState state = sluice.server().state();

            state.startDrain();
            state.startDrain();

            assertThat(state.ready()).isFalse();
            assertThat(state.live()).isTrue();
            try (RawSmtpClient duringAnnounce = new RawSmtpClient(sluice.port())) {
                assertThat(duringAnnounce.reply()).as("accepted and served during the announce").startsWith("220 ");
                assertThat(duringAnnounce.command("EHLO late.example")).startsWith("250 ");
                assertThat(idle.reply()).isEqualTo("421 4.3.2 Service shutting down, try again later");
                assertThat(duringAnnounce.reply()).isEqualTo("421 4.3.2 Service shutting down, try again later");
            }
            assertThat(idle.closedWithoutReply()).isTrue();
            assertThatThrownBy(() -> new RawSmtpClient(sluice.port()).close()).isInstanceOf(ConnectException.class);
            sluice.server().stopped().get(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
            assertThat(state.phase()).isEqualTo(NodeState.Phase.STOPPED);
        }
    }

    @Test
    void aDataTransferUnderWayCompletesWithTheBackends250ThenGets421() throws Exception {
        try (SmtpSinkProcess sink = SmtpSinkProcess.start();
             RunningSluice sluice = RunningSluice.relayingTo(sink.port())
                     .drain(new DrainConfig(Duration.ZERO, Duration.ofSeconds(10))).start();
             RawSmtpClient client = new RawSmtpClient(sluice.port())) {
            client.reply();
            client.startMessage().send("Subject: in flight\r\n\r\nfirst half\r\n");

            sluice.server().state().startDrain();
            await("listeners closed").atMost(WAIT).until(() -> refused(sluice.port()));
            client.send("second half\r\n");

            assertThat(client.command(".")).startsWith("250 ");
            assertThat(client.reply()).isEqualTo("421 4.3.2 Service shutting down, try again later");
            assertThat(sink.awaitMessages(1, WAIT).get(0).headers("Subject")).containsExactly("in flight");
            sluice.server().stopped().get(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    @Test
    void atTheDeadlineWhatIsLeftIsClosedAndNeverAcknowledged() throws Exception {
        try (SmtpSinkProcess sink = SmtpSinkProcess.start();
             RunningSluice sluice = RunningSluice.relayingTo(sink.port())
                     .drain(new DrainConfig(Duration.ZERO, Duration.ofSeconds(1))).start();
             RawSmtpClient slow = new RawSmtpClient(sluice.port())) {
            slow.reply();
            slow.startMessage().send("Subject: never finished\r\n\r\n");

            sluice.server().state().startDrain();
            sluice.server().stopped().get(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);

            assertThat(slow.closedWithoutReply()).as("closed, no 250").isTrue();
            assertThat(sink.messages()).isEmpty();
        }
    }

    private static boolean refused(int port) {
        try (RawSmtpClient probe = new RawSmtpClient(port)) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }
}
