package io.sluice.proxy.egress.tls;

import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.sluice.config.TlsReportsConfig;
import io.sluice.proxy.smtp.MailPath;
import io.sluice.proxy.smtp.Request;
import io.sluice.proxy.smtp.SmtpClientConnection;
import io.sluice.proxy.smtp.SmtpReply;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Sends a TLS report by mail (RFC 8460 §5.3) the way the platform's MTAs send theirs: submitted over loopback to this
 * node's outbound listener of the reports' pool, so that it leaves as any relayed message does (MX resolution, the
 * destination screen, the pool's sources, the destination's TLS policy, the site limits) with nothing of the outbound
 * delivery written twice. The relay's answer to the end of data is the remote's, so a report counts as sent only once
 * the recipient's MX took it.
 */
final class ReportMailer {

    private final TlsReportsConfig config;
    private final EventLoopGroup group;
    private final Class<? extends SocketChannel> channelClass;
    private final Supplier<InetSocketAddress> listener;
    private final String hostname;
    private final Duration timeout;

    /**
     * @param listener the address of the outbound listener to submit to
     * @param hostname this node's name, for EHLO and the Message-ID
     */
    ReportMailer(TlsReportsConfig config, EventLoopGroup group, Class<? extends SocketChannel> channelClass,
                 Supplier<InetSocketAddress> listener, String hostname) {
        this.config = config;
        this.group = group;
        this.channelClass = channelClass;
        this.listener = listener;
        this.hostname = hostname;
        this.timeout = config.timeout();
    }

    /** Completes once the recipient's MX took the report; fails with the reply or error that stopped it. */
    CompletableFuture<Void> mail(String recipient, TlsReport report) {
        byte[] message = message(recipient, report, ZonedDateTime.now(java.time.ZoneOffset.UTC));
        EventLoop loop = group.next();
        // The connection is used on its event loop only, from the connect on: no reply can come before it is awaited.
        return CompletableFuture.supplyAsync(() -> submit(loop, recipient, message), loop)
                .thenCompose(Function.identity());
    }

    private CompletableFuture<Void> submit(EventLoop loop, String recipient, byte[] message) {
        SmtpClientConnection connection = new SmtpClientConnection("tls-reports " + listener.get(), timeout);
        CompletableFuture<SmtpClientConnection> connected = SmtpClientConnection.connect(loop, channelClass,
                listener.get(), null, timeout, connection);
        CompletableFuture<Void> done = connected
                .thenCompose(open -> open.awaitReply(timeout))
                .thenCompose(greeting -> connection.expect(greeting, 220, "greeting"))
                .thenCompose(ok -> step(connection, new Request.Ehlo(hostname), 250, "EHLO"))
                .thenCompose(ok -> step(connection, new Request.Mail(new MailPath(config.from(), Map.of())), 250,
                        "MAIL"))
                .thenCompose(ok -> step(connection, new Request.Rcpt(new MailPath(recipient, Map.of())), 250, "RCPT"))
                .thenCompose(ok -> step(connection, Request.DATA, 354, "DATA"))
                .thenCompose(ok -> {
                    connection.writeContent(Unpooled.wrappedBuffer(message));
                    return connection.endData(timeout);
                })
                .thenCompose(reply -> connection.expect(reply, 250, "the end of data"))
                .thenApply(reply -> null);
        done.whenComplete((ok, error) -> {
            if (!connected.isDone() || connected.isCompletedExceptionally()) {
                return;
            }
            if (error == null) {
                connection.quit(timeout);
            } else {
                connection.abort();
            }
        });
        return done;
    }

    private CompletableFuture<SmtpReply> step(SmtpClientConnection connection, Request request, int code,
                                              String stage) {
        return connection.request(request, timeout).thenCompose(reply -> connection.expect(reply, code, stage));
    }

    /**
     * The report's message, dot-stuffed and ending in CRLF: RFC 8460 §5.3's headers, a short text part and the
     * report as an {@code application/tlsrpt+gzip} attachment in a {@code multipart/report; report-type="tlsrpt"}.
     */
    byte[] message(String recipient, TlsReport report, ZonedDateTime now) {
        String submitter = config.submitter();
        String boundary = "tlsrpt-" + UUID.randomUUID();
        StringBuilder text = new StringBuilder(4096)
                .append("From: <").append(config.from()).append(">\r\n")
                .append("To: <").append(recipient).append(">\r\n")
                .append("Subject: Report Domain: ").append(report.domain()).append(" Submitter: ").append(submitter)
                .append(" Report-ID: <").append(report.id()).append(">\r\n")
                .append("Date: ").append(DateTimeFormatter.RFC_1123_DATE_TIME.format(now)).append("\r\n")
                .append("Message-ID: <").append(UUID.randomUUID()).append('@').append(hostname).append(">\r\n")
                .append("TLS-Report-Domain: ").append(report.domain()).append("\r\n")
                .append("TLS-Report-Submitter: ").append(submitter).append("\r\n")
                .append("MIME-Version: 1.0\r\n")
                .append("Content-Type: multipart/report; report-type=\"tlsrpt\";\r\n")
                .append("\tboundary=\"").append(boundary).append("\"\r\n")
                .append("\r\n")
                .append("--").append(boundary).append("\r\n")
                .append("Content-Type: text/plain; charset=us-ascii\r\n\r\n")
                .append("This is an aggregate TLS report (RFC 8460) of ").append(report.domain())
                .append(" for ").append(report.day()).append(" (UTC), from ").append(submitter).append(".\r\n\r\n")
                .append("--").append(boundary).append("\r\n")
                .append("Content-Type: application/tlsrpt+gzip\r\n")
                .append("Content-Transfer-Encoding: base64\r\n")
                .append("Content-Disposition: attachment;\r\n\tfilename=\"").append(report.fileName(submitter))
                .append("\"\r\n\r\n")
                .append(Base64.getMimeEncoder(76, new byte[] {'\r', '\n'}).encodeToString(report.gzip()))
                .append("\r\n--").append(boundary).append("--\r\n");
        // RFC 5321 §4.5.2: a line that begins with a dot gets another.
        String stuffed = text.toString().replace("\r\n.", "\r\n..");
        return (stuffed.startsWith(".") ? "." + stuffed : stuffed).getBytes(StandardCharsets.US_ASCII);
    }
}
