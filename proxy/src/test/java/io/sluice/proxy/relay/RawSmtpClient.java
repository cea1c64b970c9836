package io.sluice.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A byte-exact SMTP client over a plain socket, for sequences no well-behaved client would send
 * (smuggling, talking early, overlong lines). Replies are read whole, multi-line ones joined.
 */
final class RawSmtpClient implements AutoCloseable {

    private Socket socket;
    private InputStream in;
    private OutputStream out;

    RawSmtpClient(int port) throws IOException {
        this("127.0.0.1", port);
    }

    RawSmtpClient(String localAddress, int port) throws IOException {
        this(localAddress, port, 0);
    }

    /** With a receive buffer of {@code receiveBuffer} octets (0: the system's), for a client slow to read. */
    RawSmtpClient(String localAddress, int port, int receiveBuffer) throws IOException {
        socket = new Socket();
        if (receiveBuffer > 0) {
            socket.setReceiveBufferSize(receiveBuffer);
        }
        socket.bind(new InetSocketAddress(localAddress, 0));
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        socket.setSoTimeout(15_000);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    RawSmtpClient send(String text) throws IOException {
        return send(text.getBytes(StandardCharsets.UTF_8));
    }

    RawSmtpClient send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    /**
     * One message from a@example.org to the recipient through the relay on the port, with the Subject given: the
     * RCPT reply, and the final reply where RCPT was taken.
     */
    static java.util.List<String> message(int port, String recipient, String subject) throws IOException {
        try (RawSmtpClient client = new RawSmtpClient(port)) {
            assertThat(client.reply()).startsWith("220 ");
            assertThat(client.command("EHLO mta.example")).startsWith("250");
            assertThat(client.command("MAIL FROM:<a@example.org>")).startsWith("250 ");
            String rcpt = client.command("RCPT TO:<" + recipient + ">");
            if (!rcpt.startsWith("250")) {
                return java.util.List.of(rcpt);
            }
            assertThat(client.command("DATA")).startsWith("354 ");
            return java.util.List.of(rcpt, client.command("Subject: " + subject + "\r\n\r\nbody\r\n."));
        }
    }

    /** Whether connecting to the port is refused: nothing listens there any more. */
    static boolean refused(int port) {
        try (RawSmtpClient probe = new RawSmtpClient(port)) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    /** Upgrades the connection to TLS (after a 220 to STARTTLS), trusting any certificate. */
    void startTls() throws Exception {
        javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
        context.init(null, new javax.net.ssl.TrustManager[] {new TrustingEveryone()}, null);
        javax.net.ssl.SSLSocket tls = (javax.net.ssl.SSLSocket) context.getSocketFactory()
                .createSocket(socket, "mx.sluice.test", socket.getPort(), true);
        tls.startHandshake();
        socket = tls;
        in = tls.getInputStream();
        out = tls.getOutputStream();
    }

    /** Test peers use self-signed certificates. */
    private static final class TrustingEveryone implements javax.net.ssl.X509TrustManager {
        @Override
        public void checkClientTrusted(java.security.cert.X509Certificate[] chain, String authType) {}

        @Override
        public void checkServerTrusted(java.security.cert.X509Certificate[] chain, String authType) {}

        @Override
        public java.security.cert.X509Certificate[] getAcceptedIssuers() {
            return new java.security.cert.X509Certificate[0];
        }
    }

    /** The next reply, every line of it, e.g. {@code ["250-mx", "250 PIPELINING"]}; empty at end of stream. */
    List<String> replyLines() throws IOException {
        List<String> lines = new ArrayList<>();
        while (true) {
            String line = readLine();
            if (line == null) {
                return lines;
            }
            lines.add(line);
            if (line.length() < 4 || line.charAt(3) != '-') {
                return lines;
            }
        }
    }

    /** The last line of the next reply ("" at end of stream). */
    String reply() throws IOException {
        List<String> lines = replyLines();
        return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
    }

    /** Sends a line with CRLF and returns the last line of its reply. */
    String command(String line) throws IOException {
        send(line + "\r\n");
        return reply();
    }

    /** Reads the greeting and says EHLO, checking both replies. */
    RawSmtpClient greetedAndIntroduced() throws IOException {
        assertThat(reply()).startsWith("220 ");
        assertThat(command("EHLO client.example")).startsWith("250 ");
        return this;
    }

    /** Says EHLO and opens a transaction with one recipient, checking each reply on the way. */
    RawSmtpClient openTransaction() throws IOException {
        assertThat(command("EHLO client.example")).startsWith("250 ");
        assertThat(command("MAIL FROM:<a@example.org>")).startsWith("250 ");
        assertThat(command("RCPT TO:<b@example.net>")).startsWith("250 ");
        return this;
    }

    /** Opens a transaction up to the 354 after DATA, checking each reply on the way. */
    RawSmtpClient startMessage() throws IOException {
        openTransaction();
        assertThat(command("DATA")).startsWith("354 ");
        return this;
    }

    /** Sends a line and reads replies (answers to earlier pipelined commands first) until one starts with the prefix. */
    boolean commandUntil(String line, String replyPrefix) throws IOException {
        send(line + "\r\n");
        for (String reply = reply(); !reply.isEmpty(); reply = reply()) {
            if (reply.startsWith(replyPrefix)) {
                return true;
            }
        }
        return false;
    }

    /** Whether a reply (or part of one) has arrived and not been read yet. */
    boolean replyWaiting() throws IOException {
        return in.available() > 0;
    }

    /** True when the server closed the connection (within the read timeout) without sending anything. */
    boolean closedWithoutReply() throws IOException {
        try {
            return in.read() < 0;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            // A reset is a close too.
            return true;
        }
    }

    /**
     * Sends one more byte of a command that never ends, unless the server has answered meanwhile (a reply waits
     * to be read) or has gone: a slowloris client.
     */
    void trickle(char c) throws IOException {
        if (in.available() > 0) {
            return;
        }
        try {
            send(new byte[] {(byte) c});
        } catch (IOException e) {
            // Closed by the server: the reply before the close is still there to read.
        }
    }

    /** Aborts the connection with a reset (SO_LINGER 0) instead of a FIN. */
    void reset() throws IOException {
        socket.setSoLinger(true, 0);
        socket.close();
    }

    private String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int previous = -1;
        while (true) {
            int b = in.read();
            if (b < 0) {
                return line.size() == 0 ? null : line.toString(StandardCharsets.UTF_8);
            }
            if (b == '\n' && previous == '\r') {
                byte[] bytes = line.toByteArray();
                return new String(bytes, 0, bytes.length - 1, StandardCharsets.UTF_8);
            }
            line.write(b);
            previous = b;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
