package io.sluice.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.config.BareLineEndings;
import io.sluice.proxy.peers.SmtpSinkProcess;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * SMTP smuggling (CVE-2023-51764 class): a message whose content hides an end-of-data sequence made of
 * bare CR or LF, followed by a second, smuggled transaction. Whatever the setting, the backend must never
 * see the smuggled transaction as a message of its own.
 */
class SmugglingTest {

    private static final String SMUGGLED =
            "MAIL FROM:<ceo@bank.example>\r\nRCPT TO:<victim@example.net>\r\nDATA\r\nSubject: smuggled\r\n\r\nsmuggled\r\n";

    @ParameterizedTest(name = "reject {0}")
    @ValueSource(strings = {"\n.\n", "\n.\r\n", "\r.\r", "\r\r\n.\r\n"})
    void rejectModeRefusesTheMessageAndDeliversNothingSmuggled(String sequence) throws Exception {
        try (SmtpSinkProcess sink = SmtpSinkProcess.start();
             RunningSluice sluice = RunningSluice.relayingTo(sink.port()).start();
             RawSmtpClient client = openTransaction(sluice)) {
            String first = client.command("Subject: carrier\r\n\r\ncarrier" + sequence + SMUGGLED + ".");

            assertThat(first).startsWith("550 5.5.2");
            // With <CR><CR><LF>.<CR><LF> the end of data is genuine (only its first CR is bare), so what follows
            // reaches Sluice as commands of the same client, answered in order; either way QUIT ends it.
            assertThat(client.commandUntil("QUIT", "221 ")).isTrue();
            // Give the sink the chance to store anything it wrongly received.
            Thread.sleep(300);
            assertThat(sink.messages()).noneMatch(message -> message.content().contains("carrier"));
            assertThat(sink.messages().size()).isLessThanOrEqualTo(1);
        }
    }

    @ParameterizedTest(name = "normalize {0}")
    @ValueSource(strings = {"\n.\n", "\n.\r\n", "\r.\r"})
    void normalizeModeDeliversOneMessageWithTheSmuggledTextAsContent(String sequence) throws Exception {
        try (SmtpSinkProcess sink = SmtpSinkProcess.start();
             RunningSluice sluice = RunningSluice.relayingTo(sink.port())
                     .bareLineEndings(BareLineEndings.NORMALIZE).start();
             RawSmtpClient client = openTransaction(sluice)) {
            assertThat(client.command("Subject: carrier\r\n\r\ncarrier" + sequence + SMUGGLED + "."))
                    .startsWith("250 ");
            assertThat(client.command("QUIT")).startsWith("221 ");

            SmtpSinkProcess.Message message = sink.awaitMessages(1, Duration.ofSeconds(10)).get(0);
            assertThat(message.content()).contains("carrier").contains("MAIL FROM:<ceo@bank.example>");
            Thread.sleep(300);
            assertThat(sink.messages()).hasSize(1);
        }
    }

    private static RawSmtpClient openTransaction(RunningSluice sluice) throws Exception {
        RawSmtpClient client = new RawSmtpClient(sluice.port());
        assertThat(client.reply()).startsWith("220 ");
        client.startMessage();
        return client;
    }
}
