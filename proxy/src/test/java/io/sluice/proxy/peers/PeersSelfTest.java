package io.sluice.proxy.peers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Proves the peer fixtures work on their own, without the proxy in between. */
class PeersSelfTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String CLOSED = "*** Remote host closed connection unexpectedly.";
    private static final String DATA_GO_AHEAD = "354 End data with <CR><LF>.<CR><LF>";

    @Test
    void swaksMessageArrivesAtSink() {
        try (SmtpSinkProcess sink = SmtpSinkProcess.start()) {
            SwaksRun run = SwaksRun.send(sink.port(),
                    "--data", "Subject: peers self-test\r\n\r\nfirst line\r\n.leading dot");

            assertThat(run.exitCode()).as(run.output()).isZero();
            assertThat(run.replies()).endsWith("250 2.0.0 Ok", "221 Bye");
            assertThat(run.sent()).contains("MAIL FROM:<sender@example.org>", "..leading dot");
            List<SmtpSinkProcess.Message> messages = sink.awaitMessages(1, WAIT);
            assertThat(messages).hasSize(1);
            SmtpSinkProcess.Message message = messages.get(0);
            assertThat(message.headers("Subject")).containsExactly("peers self-test");
            assertThat(message.mailArgs()).isEqualTo("<sender@example.org>");
            assertThat(message.rcptArgs()).containsExactly("<rcpt@example.net>");
            assertThat(message.clientAddress()).isEqualTo("127.0.0.1");
            assertThat(message.content()).isEqualTo("Subject: peers self-test\n\nfirst line\n.leading dot\n");
        }
    }

    @Test
    void smtpSourceMessagesAreCounted() {
        try (SmtpSinkProcess sink = SmtpSinkProcess.start()) {
            SmtpSourceRun run = SmtpSourceRun.to(sink.port(), WAIT, "-s", "5", "-m", "50", "-l", "2000");

            assertThat(run.exitCode()).as(run.output()).isZero();
            assertThat(sink.awaitMessages(50, WAIT)).hasSize(50);
        }
    }

    /**
     * smtp-sink options, then what swaks must see: its exit code, whether the server hung up on it, the
     * reply lines it received last, a lower bound on its run time; and how many messages the sink stores.
     */
    record Fault(List<String> options, int exitCode, boolean hangsUp, List<String> lastReplies,
            Duration atLeast, int stored) {

        static Fault of(String options, int exitCode, boolean hangsUp, int stored, String... lastReplies) {
            return new Fault(List.of(options.split("\\|")), exitCode, hangsUp, List.of(lastReplies),
                    Duration.ZERO, stored);
        }

        Fault slowerThan(Duration delay) {
            return new Fault(options, exitCode, hangsUp, lastReplies, delay, stored);
        }

        @Override
        public String toString() {
            return String.join(" ", options);
        }
    }

    static Stream<Fault> faults() {
        Duration second = Duration.ofSeconds(1);
        return Stream.of(
                Fault.of("-q|connect", 6, true, 0),
                Fault.of("-q|rcpt", 6, true, 0, "250 2.1.0 Ok"),
                Fault.of("-q|.", 6, true, 1, "250 2.1.5 Ok", DATA_GO_AHEAD),
                Fault.of("-Q|connect", 21, true, 0, "421 4.0.0 Server closing connection"),
                Fault.of("-Q|mail", 23, true, 0, "250 ", "421 4.0.0 Server closing connection"),
                Fault.of("-Q|.", 26, true, 1, DATA_GO_AHEAD, "421 4.0.0 Server closing connection"),
                Fault.of("-r|connect", 21, false, 0, "450 4.3.0 Error: command failed", "221 Bye"),
                Fault.of("-r|rcpt", 24, false, 0, "250 2.1.0 Ok", "450 4.3.0 Error: command failed", "221 Bye"),
                Fault.of("-r|.", 26, false, 1, DATA_GO_AHEAD, "450 4.3.0 Error: command failed", "221 Bye"),
                Fault.of("-b|451 4.7.1 Try later|-r|rcpt", 24, false, 0,
                        "250 2.1.0 Ok", "451 4.7.1 Try later", "221 Bye"),
                Fault.of("-f|mail", 23, false, 0, "250 ", "500 5.3.0 Error: command failed", "221 Bye"),
                Fault.of("-f|data", 25, false, 0, "250 2.1.5 Ok", "500 5.3.0 Error: command failed", "221 Bye"),
                Fault.of("-f|.", 26, false, 1, DATA_GO_AHEAD, "500 5.3.0 Error: command failed", "221 Bye"),
                Fault.of("-B|554 5.7.1 Go away|-f|rcpt", 24, false, 0,
                        "250 2.1.0 Ok", "554 5.7.1 Go away", "221 Bye"),
                Fault.of("-w|1", 0, false, 1, DATA_GO_AHEAD, "250 2.0.0 Ok", "221 Bye").slowerThan(second),
                Fault.of("-W|rcpt:1", 0, false, 1, "250 2.1.5 Ok", DATA_GO_AHEAD, "250 2.0.0 Ok", "221 Bye")
                        .slowerThan(second),
                Fault.of("-W|connect:1", 0, false, 1, "250 2.0.0 Ok", "221 Bye").slowerThan(second),
                Fault.of("-H|1", 0, false, 1, DATA_GO_AHEAD, "250 2.0.0 Ok", "221 Bye").slowerThan(second),
                Fault.of("-A|1", 26, true, 0, DATA_GO_AHEAD, "550 This violates SMTP").slowerThan(second),
                Fault.of("-M|1", 6, true, 1, "250 2.1.5 Ok", DATA_GO_AHEAD));
    }

    @ParameterizedTest(name = "smtp-sink {0}")
    @MethodSource("faults")
    void faultOptionBehavesAsDocumented(Fault fault) {
        try (SmtpSinkProcess sink = SmtpSinkProcess.start(fault.options().toArray(String[]::new))) {
            SwaksRun run = SwaksRun.send(sink.port());

            assertThat(run.replies()).as(run.output()).endsWith(fault.lastReplies().toArray(String[]::new));
            if (fault.lastReplies().isEmpty()) {
                assertThat(run.replies()).as(run.output()).isEmpty();
            }
            assertThat(run.output().contains(CLOSED)).as(run.output()).isEqualTo(fault.hangsUp());
            assertThat(run.exitCode()).as(run.output()).isEqualTo(fault.exitCode());
            assertThat(run.elapsed()).isGreaterThanOrEqualTo(fault.atLeast());
            if (fault.options().contains("-r") || fault.options().contains("-f")) {
                assertThat(run.replies()).doesNotContain("250-PIPELINING");
            }
            if (fault.stored() > 0) {
                sink.awaitMessages(fault.stored(), WAIT);
            }
            assertThat(sink.messages()).hasSize(fault.stored());
            if (fault.options().contains("-M")) {
                assertThat(SwaksRun.send(sink.port()).exitCode()).as("connection refused").isEqualTo(2);
            }
        }
    }

    @ParameterizedTest(name = "XCLIENT ADDR={0}")
    @CsvSource({
            "127.0.0.9, 127.0.0.9, 127.0.0.9",
            "192.0.2.7, 192.0.2.7, 192.0.2.7",
            "IPV6:2001:db8::7, IPv6:2001:db8::7, 2001:db8::7"})
    void xclientThroughPostfixReachesSink(String address, String inReceived, String inLog) {
        assumeTrue(!address.startsWith("IPV6:") || ExternalTool.hasIpv6Loopback(), "IPv6 on loopback");
        try (SmtpSinkProcess sink = SmtpSinkProcess.start();
                PostfixInstance postfix = PostfixInstance.start(sink)) {
            SwaksRun run = SwaksRun.send(postfix.port(), "--xclient-addr", address,
                    "--xclient-name", "unknown", "--header", "Subject: via postfix");

            assertThat(run.exitCode()).as(run.output()).isZero();
            assertThat(run.sent()).contains("XCLIENT ADDR=" + address + " NAME=unknown");
            List<SmtpSinkProcess.Message> messages = sink.awaitMessages(1, WAIT);
            assertThat(messages).hasSize(1);
            SmtpSinkProcess.Message message = messages.get(0);
            assertThat(message.headers("Subject")).containsExactly("via postfix");
            assertThat(message.headers("Received").get(0))
                    .startsWith("from client.example (unknown [" + inReceived + "])")
                    .contains("by postfix.sluice.test (Postfix)");
            assertThat(postfix.awaitLog("status=sent", WAIT))
                    .containsPattern("smtpd\\[\\d+\\]: \\w+: client=unknown\\[" + Pattern.quote(inLog) + "\\]")
                    .contains("relay=127.0.0.1[127.0.0.1]:" + sink.port());
        }
    }

    @Test
    void postfixCloseLeavesNoProcess() {
        List<ProcessHandle> processes;
        try (SmtpSinkProcess sink = SmtpSinkProcess.start();
                PostfixInstance postfix = PostfixInstance.start(sink)) {
            assertThat(SwaksRun.send(postfix.port()).exitCode()).isZero();
            sink.awaitMessages(1, WAIT);
            processes = postfix.processes();
            assertThat(processes).as("master, qmgr, smtpd, ...").hasSizeGreaterThan(3);
        }
        assertThat(processes).noneMatch(ExternalTool::isRunning);
    }
}
