package io.sluice.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.config.ConnectionReuseConfig;
import io.sluice.proxy.peers.PostfixInstance;
import io.sluice.proxy.peers.SmtpSinkProcess;
import io.sluice.proxy.peers.SwaksRun;
import java.time.Duration;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Backend connections kept between client sessions. */
class ConnectionReuseTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    // Health probes are connections too: keep them out of the counts.
    private static final Duration NO_PROBES = Duration.ofHours(1);

    @Test
    void keptConnectionIntroducesEachNewClientToPostfix() throws Exception {
        try (SmtpSinkProcess downstream = SmtpSinkProcess.start();
             PostfixInstance postfix = PostfixInstance.start(downstream);
             // One event loop's worth of idle connections is enough to see the reuse.
             RunningSluice sluice = RunningSluice.relayingTo(postfix.port()).healthCheckInterval(NO_PROBES)
                     .reuse(new ConnectionReuseConfig(8, Duration.ofSeconds(30), 100)).start()) {
            for (String client : new String[] {"127.0.0.9", "127.0.0.10", "127.0.0.11", "127.0.0.12"}) {
                SwaksRun run = SwaksRun.send(sluice.port(), "--local-interface", client);
                assertThat(run.exitCode()).as(run.output()).isZero();
            }

            downstream.awaitMessages(4, WAIT);
            String log = postfix.log();
            for (String client : new String[] {"127.0.0.9", "127.0.0.10", "127.0.0.11", "127.0.0.12"}) {
                assertThat(log).contains("client=unknown[" + client + "]");
            }
            // Four client sessions over fewer TCP connections than sessions (Sluice runs one loop per core).
            long connections = Pattern.compile("\\]: connect from ").matcher(log).results().count();
            assertThat(connections).isBetween(1L, (long) Runtime.getRuntime().availableProcessors());
        }
    }

    @Test
    void keptConnectionsToABackendThatWentAwayAreNotUsed() throws Exception {
        SmtpSinkProcess first = SmtpSinkProcess.start();
        int port = first.port();
        try (RunningSluice sluice = RunningSluice.relayingTo(port).start()) {
            assertThat(SwaksRun.send(sluice.port()).exitCode()).isZero();
            first.close();
            try (SmtpSinkProcess second = SmtpSinkProcess.startOn(port)) {
                SwaksRun run = SwaksRun.send(sluice.port(), "--header", "Subject: after restart");

                assertThat(run.exitCode()).as(run.output()).isZero();
                assertThat(second.awaitMessages(1, WAIT).get(0).headers("Subject")).containsExactly("after restart");
            }
        } finally {
            first.close();
        }
    }

    @Test
    void withReuseOffEverySessionHasItsOwnConnection() throws Exception {
        try (SmtpSinkProcess downstream = SmtpSinkProcess.start();
             PostfixInstance postfix = PostfixInstance.start(downstream);
             RunningSluice sluice = RunningSluice.relayingTo(postfix.port()).healthCheckInterval(NO_PROBES)
                     .reuse(ConnectionReuseConfig.DISABLED).start()) {
            for (int i = 0; i < 3; i++) {
                assertThat(SwaksRun.send(sluice.port()).exitCode()).isZero();
            }

            downstream.awaitMessages(3, WAIT);
            assertThat(Pattern.compile("\\]: connect from ").matcher(postfix.log()).results().count())
                    .as(postfix.log()).isEqualTo(3);
        }
    }
}
