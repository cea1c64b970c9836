package io.sluice.loadtest.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class SinkServerTest {

    private SinkServer server;

    @BeforeEach
    void start() throws IOException {
        server = SinkServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), "sink.test", 1);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    /** Reads until the peer closes; the sink closes after QUIT. */
    private static String readAll(Socket socket) throws IOException {
        InputStream in = socket.getInputStream();
        ByteArrayOutputStream replies = new ByteArrayOutputStream();
        in.transferTo(replies);
        return replies.toString(StandardCharsets.US_ASCII);
    }

    @Test
    void receivesPipelinedMailOverTcp() throws IOException {
        String body = "Subject: test\r\n\r\n" + "0123456789".repeat(100_000) + "\r\n";
        try (Socket socket = new Socket(server.localAddress().getAddress(), server.localAddress().getPort())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("EHLO client.example\r\n"
                    + "MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nRCPT TO:<c@example.net>\r\nDATA\r\n"
                    + body + ".\r\n"
                    + "MAIL FROM:<>\r\nRCPT TO:<d@example.net>\r\nDATA\r\n.\r\n"
                    + "QUIT\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();

            String replies = readAll(socket);

            assertThat(replies).startsWith("220 sink.test ESMTP Sluice sink\r\n250-sink.test\r\n")
                    .contains("250 2.0.0 Ok: queued as 000000000001\r\n")
                    .contains("250 2.0.0 Ok: queued as 000000000002\r\n")
                    .endsWith("221 2.0.0 Bye\r\n");
        }
        SinkStats.Snapshot stats = server.stats().snapshot(0);
        assertThat(stats.messages()).isEqualTo(2);
        assertThat(stats.recipients()).isEqualTo(3);
        assertThat(stats.bodyBytes()).isEqualTo(body.length());
        assertThat(stats.sessions()).isEqualTo(1);
        await().atMost(Duration.ofSeconds(5)).until(() -> server.stats().snapshot(0).activeSessions() == 0);
    }

    @Test
    void provesDuplicationCorruptionAndLossOverTcp() throws Exception {
        String body = "line one\r\n.leading dot\r\n";
        byte[] hash = java.security.MessageDigest.getInstance("SHA-256")
                .digest(body.getBytes(StandardCharsets.US_ASCII));
        String header = new String(new io.sluice.loadtest.check.CheckHeader("t1", 0, hash).line(),
                StandardCharsets.US_ASCII);
        String good = header + "\r\n" + Transcript.dotStuff(body) + ".\r\n";
        String corrupted = header.replace("t1.0;", "t1.1;") + "\r\n" + Transcript.dotStuff(body + "x\r\n") + ".\r\n";
        String transaction = "MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n";
        try (Socket socket = new Socket(server.localAddress().getAddress(), server.localAddress().getPort())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("EHLO client.example\r\n" + transaction + good + transaction + good
                    + transaction + corrupted + "QUIT\r\n").getBytes(StandardCharsets.US_ASCII));
            assertThat(readAll(socket)).endsWith("221 2.0.0 Bye\r\n");
        }
        java.util.BitSet admitted = new java.util.BitSet();
        admitted.set(0, 3); // the client was told 250 for 0, 1 and 2; 2 never arrived

        assertThat(server.stats().ledger().compare("t1", admitted))
                .isEqualTo(new io.sluice.loadtest.check.CheckSummary(3, 3, 1, 1, 1, 0));
        assertThat(server.stats().messagesByPeer()).containsExactly(java.util.Map.entry("127.0.0.1", 3L));
    }

    @Test
    void refusesToStartOnAPortInUse() {
        InetSocketAddress taken = server.localAddress();

        assertThatThrownBy(() -> SinkServer.start(taken, "sink.test", 1))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith("cannot listen on 127.0.0.1:" + taken.getPort() + ": ");
    }
}
