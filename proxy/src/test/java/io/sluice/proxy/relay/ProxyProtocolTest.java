package io.sluice.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.sluice.config.Cidr;
import io.sluice.config.ProxyProtocolConfig;
import io.sluice.proxy.peers.PostfixInstance;
import io.sluice.proxy.peers.SmtpSinkProcess;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** PROXY protocol v1 and v2 on an inbound listener, from trusted balancers only. */
class ProxyProtocolTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final ProxyProtocolConfig TRUST_LOOPBACK =
            new ProxyProtocolConfig(List.of(Cidr.parse("127.0.0.0/8")), Duration.ofSeconds(5));

    @ParameterizedTest(name = "v{0}")
    @ValueSource(ints = {1, 2})
    void trustedHeaderGivesTheBackendTheOriginalClient(int version) throws Exception {
        try (SmtpSinkProcess downstream = SmtpSinkProcess.start();
             PostfixInstance postfix = PostfixInstance.start(downstream);
             RunningSluice sluice = RunningSluice.relayingTo(postfix.port()).proxyProtocol(TRUST_LOOPBACK).start();
             RawSmtpClient client = new RawSmtpClient(sluice.port())) {
            client.send(version == 1 ? v1Header("192.0.2.7") : v2Header(new byte[] {(byte) 192, 0, 2, 7}));

            assertThat(client.reply()).startsWith("220 ");
            client.startMessage();
            assertThat(client.command("Subject: proxied\r\n\r\nhello\r\n.")).startsWith("250 ");
            assertThat(postfix.awaitLog("client=", WAIT)).contains("[192.0.2.7]");
            assertThat(String.join("\n", downstream.awaitMessages(1, Duration.ofSeconds(60)).get(0).headers("Received")))
                    .contains("[192.0.2.7]");
        }
    }

    @Test
    void headerFromAnUntrustedAddressIsClosedWithoutBanner() throws Exception {
        ProxyProtocolConfig proxy = new ProxyProtocolConfig(List.of(Cidr.parse("127.0.0.2/32")), Duration.ofSeconds(5));
        try (SmtpSinkProcess sink = SmtpSinkProcess.start();
             RunningSluice sluice = RunningSluice.relayingTo(sink.port()).proxyProtocol(proxy).start();
             RawSmtpClient client = new RawSmtpClient("127.0.0.1", sluice.port())) {
            client.send(v1Header("192.0.2.7"));

            assertThat(client.closedWithoutReply()).isTrue();
        }
    }

    /** Even a command too short for the decoder to judge is not left waiting for the header timeout. */
    @ParameterizedTest
    @ValueSource(strings = {"EHLO client.example\r\n", "EHLO x\r\n"})
    void missingHeaderIsClosedWithoutBannerAtOnce(String command) throws Exception {
        ProxyProtocolConfig patient = new ProxyProtocolConfig(List.of(Cidr.parse("127.0.0.0/8")), Duration.ofMinutes(1));
        try (SmtpSinkProcess sink = SmtpSinkProcess.start();
             RunningSluice sluice = RunningSluice.relayingTo(sink.port()).proxyProtocol(patient).start();
             RawSmtpClient client = new RawSmtpClient(sluice.port())) {
            client.send(command);

            // Within the client's 15 s read timeout, so well before the header timeout of a minute.
            assertThat(client.closedWithoutReply()).isTrue();
        }
    }

    @Test
    void oversizedV1HeaderIsClosedWithoutBannerOrWarning() throws Exception {
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.addAppender(logged);
        try (SmtpSinkProcess sink = SmtpSinkProcess.start();
             RunningSluice sluice = RunningSluice.relayingTo(sink.port()).proxyProtocol(TRUST_LOOPBACK).start();
             RawSmtpClient client = new RawSmtpClient(sluice.port())) {
            // A v1 header is at most 107 octets (HAProxy's PROXY protocol specification, section 2.1).
            client.send("PROXY TCP4 192.0.2.7 127.0.0.1 40000 25" + " ".repeat(100) + "\r\n");

            assertThat(client.closedWithoutReply()).isTrue();
            // Logged on the connection's event loop, not necessarily before the close this thread saw.
            await("the bad header logged").atMost(Duration.ofSeconds(10)).until(() -> LogEvents.in(logged).stream()
                    .anyMatch(event -> event.getFormattedMessage().startsWith("bad PROXY header")));
        } finally {
            root.detachAppender(logged);
        }
        assertThat(LogEvents.in(logged)).as("a client's malformed header is no operator's problem")
                .noneMatch(event -> event.getLevel().isGreaterOrEqual(Level.WARN))
                .noneMatch(event -> event.getThrowableProxy() != null);
    }

    @Test
    void headerFollowedByACommandInTheSamePacketIsTalkingEarly() throws Exception {
        try (SmtpSinkProcess sink = SmtpSinkProcess.start("-W", "connect:1");
             RunningSluice sluice = RunningSluice.relayingTo(sink.port()).proxyProtocol(TRUST_LOOPBACK).start();
             RawSmtpClient client = new RawSmtpClient(sluice.port())) {
            client.send(new String(v1Header("192.0.2.7"), StandardCharsets.US_ASCII) + "EHLO client.example\r\n");

            assertThat(client.reply()).startsWith("554 5.5.0");
            assertThat(client.closedWithoutReply()).isTrue();
        }
    }

    private static byte[] v1Header(String source) {
        return ("PROXY TCP4 " + source + " 127.0.0.1 40000 25\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    /** A binary v2 header for TCP over IPv4 (specification section 2.2). */
    private static byte[] v2Header(byte[] source) {
        ByteBuffer header = ByteBuffer.allocate(16 + 12);
        header.put(new byte[] {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A});
        header.put((byte) 0x21);      // version 2, PROXY
        header.put((byte) 0x11);      // AF_INET, STREAM
        header.putShort((short) 12);  // two addresses and two ports
        header.put(source);
        header.put(new byte[] {127, 0, 0, 1});
        header.putShort((short) 40000);
        header.putShort((short) 25);
        return header.array();
    }
}
