package io.sluice.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.ssl.util.SelfSignedCertificate;
import io.sluice.config.BackendTls;
import io.sluice.config.TlsConfig;
import io.sluice.proxy.peers.PostfixInstance;
import io.sluice.proxy.peers.SmtpSinkProcess;
import io.sluice.proxy.peers.SmtpSourceRun;
import io.sluice.proxy.peers.SwaksRun;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** End to end over loopback: real SMTP clients through Sluice to real SMTP servers. */
class InboundRelayTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void swaksMessageReachesTheSink() throws Exception {
        try (SmtpSinkProcess sink = SmtpSinkProcess.start();
             RunningSluice sluice = RunningSluice.relayingTo(sink.port()).start()) {
            SwaksRun run = SwaksRun.send(sluice.port(), "--pipeline", "--header", "Subject: relay check");

            assertThat(run.exitCode()).as(run.output()).isZero();
            assertThat(run.replies()).anyMatch(line -> line.startsWith("250 2.0.0"));
            List<SmtpSinkProcess.Message> messages = sink.awaitMessages(1, WAIT);
            assertThat(messages).hasSize(1);
            assertThat(messages.get(0).headers("Subject")).containsExactly("relay check");
        }
    }

    @Test
    void aGroupTheClientPipelinedReachesTheBackendWholeBeforeAnyReply() throws Exception {
        try (RecordingBackend backend = RecordingBackend.keepingContent().answeringWholeGroups();
             RunningSluice sluice = RunningSluice.relayingTo(backend.port()).start()) {
            SwaksRun run = SwaksRun.send(sluice.port(), "--pipeline", "--to", "one@example.test,two@example.test");

            assertThat(run.exitCode()).as(run.output()).isZero();
            assertThat(backend.messages()).hasSize(1);
            assertThat(backend.groupsCutShort()).as("MAIL or RCPT answered before the group was whole").isZero();
            assertThat(backend.wholeGroups()).isEqualTo(1);
        }
    }

    @Test
    void theMailOfAClientThatDoesNotPipelineGoesOutWithItsFirstRecipient() throws Exception {
        try (RecordingBackend backend = RecordingBackend.keepingContent().answeringWholeGroups();
             RunningSluice sluice = RunningSluice.relayingTo(backend.port()).start()) {
            SwaksRun run = SwaksRun.send(sluice.port(), "--to", "one@example.test");

            assertThat(run.exitCode()).as(run.output()).isZero();
            assertThat(backend.messages()).hasSize(1);
            // One group cut short: the MAIL, answered by Sluice, waited to go out with the RCPT (two without that).
            assertThat(backend.groupsCutShort()).as("the MAIL and the RCPT reached the backend as one group")
                    .isEqualTo(1);
        }
    }

    @Test
    void everyMessageFromSmtpSourceIsCounted() throws Exception {
        try (SmtpSinkProcess sink = SmtpSinkProcess.start();
             RunningSluice sluice = RunningSluice.relayingTo(sink.port()).start()) {
            SmtpSourceRun run = SmtpSourceRun.to(sluice.port(), Duration.ofSeconds(120),
                    "-s", "5", "-m", "300", "-l", "2000");

            assertThat(run.exitCode()).as(run.output()).isZero();
            assertThat(sink.awaitMessages(300, WAIT)).hasSize(300);
        }
    }

    @Test
    void postfixBackendSeesTheRealClientThroughXclient() throws Exception {
        try (SmtpSinkProcess downstream = SmtpSinkProcess.start();
             PostfixInstance postfix = PostfixInstance.start(downstream);
             RunningSluice sluice = RunningSluice.relayingTo(postfix.port()).start()) {
            SwaksRun run = SwaksRun.send(sluice.port(), "--local-interface", "127.0.0.9", "--ehlo", "client.example");

            assertThat(run.exitCode()).as(run.output()).isZero();
            SmtpSinkProcess.Message message = downstream.awaitMessages(1, Duration.ofSeconds(60)).get(0);
            assertThat(String.join("\n", message.headers("Received")))
                    .contains("client.example").contains("[127.0.0.9]");
            assertThat(postfix.awaitLog("client=", WAIT)).contains("[127.0.0.9]");
        }
    }

    @Test
    void backendConnectionsUseStartTlsWhenConfigured() throws Exception {
        SelfSignedCertificate certificate = new SelfSignedCertificate("postfix.sluice.test");
        try (SmtpSinkProcess downstream = SmtpSinkProcess.start();
             PostfixInstance postfix = PostfixInstance.start(downstream, Map.of(
                     "smtpd_tls_security_level", "may",
                     "smtpd_tls_cert_file", certificate.certificate().getAbsolutePath(),
                     "smtpd_tls_key_file", certificate.privateKey().getAbsolutePath(),
                     "smtpd_tls_loglevel", "1"));
             RunningSluice sluice = RunningSluice.relayingTo(postfix.port()).backendTls(BackendTls.STARTTLS).start()) {
            SwaksRun run = SwaksRun.send(sluice.port(), "--header", "Subject: tls to the backend");

            assertThat(run.exitCode()).as(run.output()).isZero();
            assertThat(postfix.awaitLog("TLS connection established", WAIT)).contains("TLS connection established");
            assertThat(downstream.awaitMessages(1, Duration.ofSeconds(60)).get(0).headers("Subject"))
                    .containsExactly("tls to the backend");
        } finally {
            certificate.delete();
        }
    }
}
