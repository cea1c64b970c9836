package io.sluice.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.config.ConcurrencyRule;
import io.sluice.config.ConnectionReuseConfig;
import io.sluice.config.PolicyConfig;
import io.sluice.config.RuleKey;
import io.sluice.proxy.peers.SmtpSinkProcess;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * At most one session per backend server across two Sluice nodes in one cluster: a node whose first choice is
 * taken by the other node's session goes to the next server, and with every server taken a client is told to
 * come back later. A slot is free again once its backend connection closes.
 */
class BackendSessionLimitTest {

    private static final String BUSY = "421 4.3.2 Backends busy, try again later";

    @Test
    void eachBackendServerTakesOneSessionAcrossTheClusterAndTheRestAreToldToComeBackLater() throws Exception {
        PolicyConfig policy = new PolicyConfig(List.of(),
                List.of(ConcurrencyRule.of("per-backend", RuleKey.BACKEND_SERVER, 1)));
        try (SmtpSinkProcess first = SmtpSinkProcess.start();
             SmtpSinkProcess second = SmtpSinkProcess.start();
             ClusterNodes nodes = ClusterNodes.start(2, true, () -> RunningSluice.relayingTo(first.port(), second.port())
                     .policy(policy).reuse(ConnectionReuseConfig.DISABLED).healthCheckInterval(Duration.ofMinutes(1)))) {
            int one = nodes.live().get(0).port();
            int two = nodes.live().get(1).port();

            try (RawSmtpClient a = new RawSmtpClient(one); RawSmtpClient b = new RawSmtpClient(two)) {
                assertThat(a.reply()).startsWith("220 ");
                assertThat(b.reply()).as("the other node finds the first server taken and goes to the second")
                        .startsWith("220 ");
                for (int port : new int[] {one, two}) {
                    try (RawSmtpClient refused = new RawSmtpClient(port)) {
                        assertThat(refused.reply()).as("node on port %d", port).isEqualTo(BUSY);
                        assertThat(refused.closedWithoutReply()).isTrue();
                    }
                }

                deliver(a, "a");
                deliver(b, "b");
                assertThat(first.awaitMessages(1, Duration.ofSeconds(10))).hasSize(1);
                assertThat(second.awaitMessages(1, Duration.ofSeconds(10))).as("one session on each server")
                        .hasSize(1);

                assertThat(a.command("QUIT")).startsWith("221 ");
            }

            await("the slots given back with the connections").atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                try (RawSmtpClient again = new RawSmtpClient(two)) {
                    assertThat(again.reply()).startsWith("220 ");
                    assertThat(again.command("QUIT")).startsWith("221 ");
                }
            });
        }
    }

    private static void deliver(RawSmtpClient client, String name) throws Exception {
        client.startMessage();
        assertThat(client.command("Subject: " + name + "\r\n\r\nbody\r\n.")).startsWith("250 ");
    }
}
