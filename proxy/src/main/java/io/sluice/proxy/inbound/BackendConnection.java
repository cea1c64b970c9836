package io.sluice.proxy.inbound;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.sluice.proxy.session.BackendCapabilities;
import io.sluice.proxy.smtp.SmtpReply;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The client side of one SMTP connection to a backend: one request at a time, each reply awaited with its
 * RFC 5321 §4.5.3.2 timeout. Runs on the event loop of the client session it serves, so nothing here is
 * shared between threads.
 */
final class BackendConnection extends SimpleChannelInboundHandler<SmtpReply> {

    private static final ByteBuf END_OF_DATA =
            Unpooled.unreleasableBuffer(Unpooled.copiedBuffer(".\r\n", StandardCharsets.US_ASCII));

    private final BackendServer server;
    private final Duration dataBlockTimeout;
    private Channel channel;
    private CompletableFuture<SmtpReply> pending;
    // RFC 5321 §4.5.3.2: how long the pending request may wait for its reply.
    private Deadline replyTimeout;
    // RFC 5321 §4.5.3.2.5: how long content may sit unsent because the backend does not take it.
    private Deadline blockedTimeout;
    private Duration pendingTimeout;
    private boolean closedByUs;
    // The verb of the pending request, to follow the backend's transaction state.
    private String pendingVerb = "";
    // The backend accepted MAIL and has not finished or reset the transaction since.
    private boolean inTransaction;
    private int uses;
    private ScheduledFuture<?> idleTimeout;
    // Between the backend's 354 and our end-of-data line: anything sent now would be message content.
    private boolean inMessage;
    private BackendCapabilities capabilities = BackendCapabilities.NONE;
    private Runnable onLost = () -> { };
    private Consumer<Boolean> onWritabilityChanged = writable -> { };

    BackendConnection(BackendServer server, Duration dataBlockTimeout) {
        this.server = server;
        this.dataBlockTimeout = dataBlockTimeout;
    }

    BackendServer server() {
        return server;
    }

    BackendCapabilities capabilities() {
        return capabilities;
    }

    /** Records what the backend said in an EHLO reply, also as the server's last known capabilities. */
    void capabilities(BackendCapabilities capabilities) {
        this.capabilities = capabilities;
        server.lastCapabilities(capabilities);
    }

    /** Counts one more client session served by this connection. */
    void countUse() {
        uses++;
    }

    int uses() {
        return uses;
    }

    /** Whether an earlier client session used this connection already. */
    boolean reused() {
        return uses > 1;
    }

    /** Open, and with nothing of a client session left in it: no request, message or transaction. */
    boolean isReusable() {
        return channel.isActive() && !closedByUs && pending == null && !inMessage && !inTransaction;
    }

    /** Parks the connection: it expires after {@code timeout}, and {@code lost} runs if the backend closes it. */
    void enterIdle(Duration timeout, Runnable expired, Runnable lost) {
        onLost = lost;
        onWritabilityChanged = writable -> { };
        idleTimeout = channel.eventLoop().schedule(expired, timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    void leaveIdle() {
        if (idleTimeout != null) {
            idleTimeout.cancel(false);
            idleTimeout = null;
        }
    }

    /** Called when the backend goes away while nothing was asked of it. */
    void onLost(Runnable onLost) {
        this.onLost = onLost;
    }

    void onWritabilityChanged(Consumer<Boolean> listener) {
        this.onWritabilityChanged = listener;
    }

    io.netty.channel.ChannelFuture closeFuture() {
        return channel.closeFuture();
    }

    boolean isWritable() {
        return channel.isWritable();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        replyTimeout = new Deadline(channel.eventLoop(), () -> {
            fail(new BackendTimeoutException(server, pendingTimeout));
            abort();
        });
        // Nothing awaits a reply while content flows: closing without closedByUs reports the loss (onLost).
        blockedTimeout = new Deadline(channel.eventLoop(), channel::close);
    }

    /** Waits for a reply without sending anything (the greeting). */
    CompletableFuture<SmtpReply> awaitReply(Duration timeout) {
        return expectReply(timeout);
    }

    /** Sends one command line and waits for its reply. */
    CompletableFuture<SmtpReply> request(String line, Duration timeout) {
        CompletableFuture<SmtpReply> reply = expectReply(timeout);
        int space = line.indexOf(' ');
        pendingVerb = (space < 0 ? line : line.substring(0, space)).toUpperCase(java.util.Locale.ROOT);
        channel.writeAndFlush(Unpooled.copiedBuffer(line + "\r\n", StandardCharsets.UTF_8));
        return reply;
    }

    /**
     * Queues a run of message content; ownership of the buffer passes to the channel. {@link #flush()} sends
     * what is queued, so one read from the client becomes one write to the backend.
     */
    void writeContent(ByteBuf content) {
        channel.write(content, channel.voidPromise());
    }

    void flush() {
        channel.flush();
    }

    /** Ends the message with the end-of-data line and waits for the final reply. */
    CompletableFuture<SmtpReply> endData(Duration timeout) {
        inMessage = false;
        CompletableFuture<SmtpReply> reply = expectReply(timeout);
        pendingVerb = ".";
        channel.writeAndFlush(END_OF_DATA.duplicate());
        return reply;
    }

    /** Upgrades the connection after the backend's 220 to STARTTLS; completes when the handshake does. */
    CompletableFuture<Void> startTls(SslContext context, String host, int port) {
        SslHandler tls = context.newHandler(channel.alloc(), host, port);
        channel.pipeline().addFirst("tls", tls);
        CompletableFuture<Void> done = new CompletableFuture<>();
        tls.handshakeFuture().addListener(future -> {
            if (future.isSuccess()) {
                done.complete(null);
            } else {
                done.completeExceptionally(future.cause());
            }
        });
        return done;
    }

    /** Closes at once: a message under way is never ended, so the backend discards it. */
    void abort() {
        closedByUs = true;
        channel.close();
    }

    /** Says goodbye politely when idle; closes at once otherwise, which abandons a message under way. */
    void quit(Duration timeout) {
        closedByUs = true;
        if (pending != null || inMessage || !channel.isActive()) {
            channel.close();
            return;
        }
        request("QUIT", timeout).whenComplete((reply, error) -> channel.close());
    }

    private CompletableFuture<SmtpReply> expectReply(Duration timeout) {
        if (pending != null) {
            throw new IllegalStateException("a request to " + server + " is already pending");
        }
        CompletableFuture<SmtpReply> reply = new CompletableFuture<>();
        if (!channel.isActive()) {
            reply.completeExceptionally(new IOException("connection to " + server + " is closed"));
            return reply;
        }
        pending = reply;
        pendingTimeout = timeout;
        replyTimeout.arm(timeout);
        return reply;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, SmtpReply reply) {
        if (pending == null) {
            // An answer nobody asked for: response injection or a confused server. Trust nothing more from it.
            fail(new IOException(server + " sent an unsolicited reply: " + reply));
            abort();
            return;
        }
        CompletableFuture<SmtpReply> answered = pending;
        pending = null;
        replyTimeout.disarm();
        inMessage = reply.code() == 354;
        followTransaction(reply);
        answered.complete(reply);
    }

    private void followTransaction(SmtpReply reply) {
        switch (pendingVerb) {
            case "MAIL" -> inTransaction |= reply.isPositive();
            // The final reply ends the transaction whatever it says (RFC 5321 §4.1.1.4).
            case "." -> inTransaction = false;
            case "RSET", "EHLO", "HELO", "XCLIENT" -> inTransaction &= !reply.isPositive();
            default -> { }
        }
        pendingVerb = "";
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        boolean writable = ctx.channel().isWritable();
        if (writable) {
            blockedTimeout.disarm();
        } else {
            blockedTimeout.arm(dataBlockTimeout);
        }
        onWritabilityChanged.accept(writable);
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        replyTimeout.cancel();
        blockedTimeout.cancel();
        if (pending != null) {
            fail(new IOException("connection to " + server + " closed"));
        } else if (!closedByUs) {
            onLost.run();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        fail(cause);
        ctx.close();
    }

    private void fail(Throwable cause) {
        if (pending != null) {
            CompletableFuture<SmtpReply> failed = pending;
            pending = null;
            replyTimeout.disarm();
            failed.completeExceptionally(cause);
        }
    }

    /** The backend did not answer within the RFC 5321 §4.5.3.2 timeout for the stage. */
    static final class BackendTimeoutException extends IOException {
        BackendTimeoutException(BackendServer server, Duration timeout) {
            super(server + " did not answer within " + timeout);
        }
    }
}
