package io.sluice.proxy.relay;

import static io.sluice.proxy.relay.Rules.limit;
import static io.sluice.proxy.relay.Rules.perHour;
import static io.sluice.proxy.relay.Rules.policy;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.Counter;
import io.sluice.config.ClusterConfig;
import io.sluice.config.ConcurrencyRule;
import io.sluice.config.Counted;
import io.sluice.config.HostPort;
import io.sluice.config.PolicyConfig;
import io.sluice.config.RuleKey;
import io.sluice.policy.PolicyMeters;
import io.sluice.proxy.peers.SmtpSinkProcess;
import io.sluice.proxy.peers.SwaksRun;
import io.sluice.testing.TestPorts;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Flow control end to end on one node whose limits live in its embedded Hazelcast member: real clients see
 * the policy's temporary failures at the cheapest stage, and the sink only what was admitted. Each test sets
 * its own policy, with rule names of its own so that no two tests share a bucket.
 */
class FlowControlTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String RETRY_BUSY = "451 4.7.1 Busy, try again later";

    private static SmtpSinkProcess sink;
    private static RunningSluice sluice;

    @BeforeAll
    static void start() throws Exception {
        sink = SmtpSinkProcess.start();
        ClusterConfig cluster = ClusterConfig.EMBEDDED_DEFAULT.withMembers(ClusterConfig.Mode.EMBEDDED,
                new HostPort("127.0.0.1", TestPorts.freeOnLoopback()), List.of());
        sluice = RunningSluice.relayingTo(sink.port()).cluster(cluster).start();
    }

    @AfterAll
    static void stop() {
        if (sluice != null) {
            sluice.close();
        }
        if (sink != null) {
            sink.close();
        }
    }

    private static void use(PolicyConfig policy) {
        sluice.server().policy().replace(policy);
    }

    @Test
    void connectionsOverTheLimitGet421BeforeAnyGreeting() throws Exception {
        use(policy(limit("conn-per-ip", RuleKey.CLIENT_IP, Counted.CONNECTIONS, perHour(2), 2, null)));

        for (int i = 0; i < 2; i++) {
            try (RawSmtpClient admitted = new RawSmtpClient("127.0.0.21", sluice.port())) {
                assertThat(admitted.reply()).startsWith("220 ");
            }
        }
        try (RawSmtpClient refused = new RawSmtpClient("127.0.0.21", sluice.port())) {
            // The first thing said is the refusal: no backend was asked for a greeting.
            assertThat(refused.reply()).isEqualTo("421 4.7.0 Too many connections, try again later");
            assertThat(refused.closedWithoutReply()).isTrue();
        }
        try (RawSmtpClient otherIp = new RawSmtpClient("127.0.0.22", sluice.port())) {
            assertThat(otherIp.reply()).startsWith("220 ");
        }
    }

    @Test
    void messagesOverTheLimitGetTheRulesTempfailAtMail() throws Exception {
        use(policy(limit("one-message", RuleKey.GLOBAL, Counted.MESSAGES, perHour(1), 1, Rules.BUSY)));
        int before = sink.messages().size();

        SwaksRun first = SwaksRun.send(sluice.port(), "--header", "Subject: admitted");
        SwaksRun second = SwaksRun.send(sluice.port(), "--header", "Subject: limited");

        assertThat(first.exitCode()).as(first.output()).isZero();
        assertThat(second.replies()).as(second.output()).contains("451 4.7.1 Busy, try again later");
        assertThat(second.sent()).as("no RCPT after the refused MAIL").noneMatch(line -> line.startsWith("RCPT"));
        assertThat(sink.awaitMessages(before + 1, WAIT)).hasSize(before + 1);
        assertThat(sink.messages().get(before).headers("Subject")).containsExactly("admitted");
    }

    /**
     * A client that declares a small SIZE (or none) and sends a large message gains nothing: a bytes rule takes the
     * declared size at MAIL and the rest of the real size at the end of the data, so the sender's next MAIL is
     * refused as if it had told the truth.
     */
    @ParameterizedTest
    @ValueSource(strings = {" SIZE=100", ""})
    void bytesAreChargedByTheRealSizeWhenTheDeclaredSizeLies(String sizeParameter) throws Exception {
        String rule = sizeParameter.isEmpty() ? "bytes-undeclared" : "bytes-understated";
        use(policy(limit(rule, RuleKey.SENDER, Counted.BYTES, perHour(20_000), 20_000, Rules.BUSY)));
        // 50,000 octets of content, more than the bucket holds.
        String content = ("x".repeat(998) + "\r\n").repeat(50);
        try (RawSmtpClient client = new RawSmtpClient(sluice.port())) {
            client.greetedAndIntroduced();
            assertThat(client.command("MAIL FROM:<liar@sender.example>" + sizeParameter)).startsWith("250 ");
            assertThat(client.command("RCPT TO:<b@example.net>")).startsWith("250 ");
            assertThat(client.command("DATA")).startsWith("354 ");
            assertThat(client.command(content + ".")).startsWith("250 ");

            // Had only the declared size been taken, 19,900 octets would be left.
            assertThat(client.command("MAIL FROM:<liar@sender.example> SIZE=1000"))
                    .isEqualTo("451 4.7.1 Busy, try again later");
            assertThat(client.command("MAIL FROM:<other@sender.example> SIZE=1000")).startsWith("250 ");
        }
    }

    /** Content sent and then cut off by the client's close is charged too: hanging up before the dot buys nothing. */
    @Test
    void bytesOfAMessageCutOffByTheClientAreChargedToo() throws Exception {
        use(policy(limit("bytes-cut-off", RuleKey.SENDER, Counted.BYTES, perHour(20_000), 20_000, Rules.BUSY)));
        try (RawSmtpClient client = new RawSmtpClient(sluice.port())) {
            client.greetedAndIntroduced();
            assertThat(client.command("MAIL FROM:<cutoff@sender.example> SIZE=100")).startsWith("250 ");
            assertThat(client.command("RCPT TO:<b@example.net>")).startsWith("250 ");
            assertThat(client.command("DATA")).startsWith("354 ");
            client.send(("x".repeat(998) + "\r\n").repeat(50));
        }

        // Once the close is read, 50,000 octets are owed; until then a one-octet MAIL takes next to nothing.
        await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            try (RawSmtpClient client = new RawSmtpClient(sluice.port())) {
                client.greetedAndIntroduced();
                assertThat(client.command("MAIL FROM:<cutoff@sender.example> SIZE=1"))
                        .isEqualTo("451 4.7.1 Busy, try again later");
            }
        });
    }

    @Test
    void recipientsOverTheBudgetGet452AndTheRestIsDelivered() throws Exception {
        use(policy(limit("two-recipients", RuleKey.SENDER_DOMAIN, Counted.RECIPIENTS, perHour(2), 2, null)));
        int before = sink.messages().size();

        try (RawSmtpClient client = new RawSmtpClient(sluice.port())) {
            client.reply();
            assertThat(client.command("EHLO client.example")).startsWith("250 ");
            assertThat(client.command("MAIL FROM:<a@partial.example>")).startsWith("250 ");
            assertThat(client.command("RCPT TO:<one@example.net>")).startsWith("250 ");
            assertThat(client.command("RCPT TO:<two@example.net>")).startsWith("250 ");
            assertThat(client.command("RCPT TO:<three@example.net>"))
                    .isEqualTo("452 4.5.3 Too many recipients now, try the rest later");
            assertThat(client.command("DATA")).startsWith("354 ");
            assertThat(client.command("Subject: partial\r\n\r\nhello\r\n.")).startsWith("250 ");
            assertThat(client.command("QUIT")).startsWith("221 ");
        }
        SmtpSinkProcess.Message message = sink.awaitMessages(before + 1, WAIT).get(before);
        assertThat(message.rcptArgs()).hasSize(2);
    }

    @Test
    void aSessionOverTheConcurrencyLimitIsRefusedUntilASlotIsFree() throws Exception {
        use(policy(ConcurrencyRule.of("one-session-per-ip", RuleKey.CLIENT_IP, 1)));

        try (RawSmtpClient holder = new RawSmtpClient("127.0.0.23", sluice.port())) {
            assertThat(holder.reply()).startsWith("220 ");
            try (RawSmtpClient second = new RawSmtpClient("127.0.0.23", sluice.port())) {
                assertThat(second.reply()).isEqualTo("421 4.7.0 Too many concurrent sessions, try again later");
            }
            assertThat(holder.command("QUIT")).startsWith("221 ");
        }
        await("the slot given back").atMost(WAIT).untilAsserted(() -> {
            try (RawSmtpClient next = new RawSmtpClient("127.0.0.23", sluice.port())) {
                assertThat(next.reply()).startsWith("220 ");
            }
        });
    }

    @Test
    void aTarpitDelaysTheRefusal() throws Exception {
        Duration delay = Duration.ofMillis(600);
        use(policy(Rules.tarpit(limit("slow-down", RuleKey.CLIENT_IP, Counted.CONNECTIONS, perHour(1), 1, null),
                delay)));
        try (RawSmtpClient admitted = new RawSmtpClient("127.0.0.24", sluice.port())) {
            assertThat(admitted.reply()).startsWith("220 ");
        }

        long start = System.nanoTime();
        try (RawSmtpClient refused = new RawSmtpClient("127.0.0.24", sluice.port())) {
            assertThat(refused.reply()).startsWith("421 4.7.0 ");
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(delay.minusMillis(50));
    }

    @Test
    void aShadowRuleCountsButNeverRefuses() throws Exception {
        use(policy(Rules.shadow(limit("would-limit", RuleKey.GLOBAL, Counted.MESSAGES, perHour(1), 1, null))));

        for (int i = 0; i < 2; i++) {
            SwaksRun run = SwaksRun.send(sluice.port());
            assertThat(run.exitCode()).as(run.output()).isZero();
        }
        Counter shadowRefused = sluice.server().registry().find("sluice.limit.decisions")
                .tags("rule", "would-limit", "outcome", "shadow_refused").counter();
        assertThat(shadowRefused).isNotNull();
        assertThat(shadowRefused.count()).isEqualTo(1.0);
    }

    /**
     * Retry priority under a tight global message limit (10 an hour, burst 10) with the default reserved share (3 of
     * the 10): first-time senders take 7, then are refused at MAIL; a sender refused once comes back from another
     * address of its /24 and is admitted, and its message reaches the backend; another first-time sender after it
     * is still refused.
     */
    @Test
    void aSenderDeferredOnceIsAdmittedOnRetryWhileFirstTimeSendersAreRefused() throws Exception {
        use(policy(limit("friday-retry", RuleKey.GLOBAL, Counted.MESSAGES, perHour(10), 10, Rules.BUSY)));
        double deferrals = counter(PolicyMeters.RETRY_DEFERRALS);
        double admitted = counter(PolicyMeters.RETRY_ADMITTED);
        long delays = sluice.server().registry().timer(PolicyMeters.RETRY_DELAY.meterName()).count();
        for (int i = 1; i <= 7; i++) {
            assertThat(mail("127.0.1." + i, "first" + i + "@sender.example")).as("first-time sender %d", i)
                    .startsWith("250 ");
        }
        assertThat(mail("127.0.2.5", "late@sender.example")).as("first-time, at the reserve").isEqualTo(RETRY_BUSY);
        assertThat(mail("127.0.3.5", "fresh@sender.example")).as("first-time, at the reserve").isEqualTo(RETRY_BUSY);
        assertThat(counter(PolicyMeters.RETRY_DEFERRALS) - deferrals).isEqualTo(2);
        int before = sink.messages().size();

        // The sending MTA retries from another address of the same /24, as a pool of outbound servers does.
        try (RawSmtpClient retry = new RawSmtpClient("127.0.2.9", sluice.port())) {
            retry.greetedAndIntroduced();
            assertThat(retry.command("MAIL FROM:<Late@Sender.example>")).startsWith("250 ");
            assertThat(retry.command("RCPT TO:<b@example.net>")).startsWith("250 ");
            assertThat(retry.command("DATA")).startsWith("354 ");
            assertThat(retry.command("Subject: retried\r\n\r\nbody\r\n.")).startsWith("250 ");
        }

        assertThat(sink.awaitMessages(before + 1, WAIT)).hasSize(before + 1);
        assertThat(sink.messages().get(before).headers("Subject")).containsExactly("retried");
        assertThat(counter(PolicyMeters.RETRY_ADMITTED) - admitted).isEqualTo(1);
        assertThat(sluice.server().registry().timer(PolicyMeters.RETRY_DELAY.meterName()).count() - delays).isEqualTo(1);
        assertThat(mail("127.0.4.5", "another@sender.example")).as("first-time, after the retry").isEqualTo(RETRY_BUSY);
    }

    /** A MAIL from {@code sender} on a connection from {@code client}: the reply. */
    private static String mail(String client, String sender) throws Exception {
        try (RawSmtpClient smtp = new RawSmtpClient(client, sluice.port())) {
            smtp.greetedAndIntroduced();
            String reply = smtp.command("MAIL FROM:<" + sender + ">");
            smtp.command("QUIT");
            return reply;
        }
    }

    private static double counter(PolicyMeters meter) {
        return sluice.server().registry().counter(meter.meterName()).count();
    }
}
