package io.sluice.proxy.smtp;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelOutboundInvoker;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * The client side of one SMTP connection, to a backend or a remote MX: requests answered in the order sent (more
 * than one outstanding only where the server offers PIPELINING, RFC 2920), each reply awaited with its RFC 5321
 * §4.5.3.2 timeout from when the reply before it came, message content streamed with backpressure. Runs on one
 * event loop (that of the client session it serves), so nothing here is shared between threads. Sits after a
 * {@link SmtpReplyDecoder} named {@value #DECODER}.
 */
public class SmtpClientConnection extends SimpleChannelInboundHandler<SmtpReply> {

    /** The pipeline name of the reply decoder in front of this handler. */
    public static final String DECODER = "replies";
    private static final String FLUSHES = "flushes";

    private static final ByteBuf END_OF_DATA =
            Unpooled.unreleasableBuffer(Unpooled.copiedBuffer(".\r\n", StandardCharsets.US_ASCII));

    private final Object peer;
    private final Duration dataBlockTimeout;
    private Channel channel;
    // Where a flush leaves past the flushes' consolidation: its context, or the channel where there is none.
    private ChannelOutboundInvoker flushes;
    // The requests sent and not yet answered, oldest first; the server answers them in this order.
    private final Deque<Awaited> awaited = new ArrayDeque<>(4);
    // RFC 5321 §4.5.3.2: how long the oldest request may wait for its reply.
    private Deadline replyTimeout;
    // RFC 5321 §4.5.3.2.5: how long content may sit unsent because the peer does not take it.
    private Deadline blockedTimeout;
    private boolean closedByUs;
    // Between the peer's 354 and our end-of-data line: anything sent now would be message content.
    private boolean inMessage;
    private ServerCapabilities capabilities = ServerCapabilities.NONE;
    private Runnable onLost = () -> { };
    private Consumer<Boolean> onWritabilityChanged = writable -> { };
    // The uses (client sessions or transactions) this connection served, and its expiry while kept idle.
    private int uses;
    private ScheduledFuture<?> idleTimeout;
    // The server accepted MAIL and has not finished or reset the transaction since.
    private boolean inTransaction;

    /** @param peer names the server in messages, such as {@code 127.0.0.1:2526} */
    public SmtpClientConnection(Object peer, Duration dataBlockTimeout) {
        this.peer = peer;
        this.dataBlockTimeout = dataBlockTimeout;
    }

    public ServerCapabilities capabilities() {
        return capabilities;
    }

    /** Records what the server said in an EHLO reply. */
    public void capabilities(ServerCapabilities capabilities) {
        this.capabilities = capabilities;
    }

    /** Open, with no request pending and no message under way. */
    protected boolean isQuiet() {
        return channel.isActive() && !closedByUs && awaited.isEmpty() && !inMessage;
    }

    /** Whether the connection may be kept for another use: open, and with no request, message or transaction. */
    public boolean isReusable() {
        return isQuiet() && !inTransaction;
    }

    /** Counts one more use (a client session or a transaction) served by this connection. */
    public void countUse() {
        uses++;
    }

    public int uses() {
        return uses;
    }

    /** Whether an earlier use had this connection already. */
    public boolean reused() {
        return uses > 1;
    }

    /** Parks the connection: it expires after {@code timeout}, and {@code lost} runs if the server closes it. */
    public void enterIdle(Duration timeout, Runnable expired, Runnable lost) {
        onLost(lost);
        onWritabilityChanged(writable -> { });
        idleTimeout = channel.eventLoop().schedule(expired, timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    public void leaveIdle() {
        if (idleTimeout != null) {
            idleTimeout.cancel(false);
            idleTimeout = null;
        }
    }

    /** Called when the server goes away while nothing was asked of it. */
    public void onLost(Runnable onLost) {
        this.onLost = onLost;
    }

    public void onWritabilityChanged(Consumer<Boolean> listener) {
        this.onWritabilityChanged = listener;
    }

    public ChannelFuture closeFuture() {
        return channel.closeFuture();
    }

    public boolean isWritable() {
        return channel.isWritable();
    }

    protected Channel channel() {
        return channel;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        ChannelHandlerContext consolidation = ctx.pipeline().context(FLUSHES);
        flushes = consolidation != null ? consolidation : channel;
        replyTimeout = new Deadline(channel.eventLoop(), () -> {
            fail(new ReplyTimeoutException(peer, awaited.peekFirst().timeout()));
            abort();
        });
        // Nothing awaits a reply while content flows: closing without closedByUs reports the loss (onLost).
        blockedTimeout = new Deadline(channel.eventLoop(), channel::close);
    }

    /** Waits for a reply without sending anything (the greeting). */
    public CompletableFuture<SmtpReply> awaitReply(Duration timeout) {
        return expectReply(null, timeout);
    }

    /**
     * Sends one command and waits for its reply. Another may follow before the reply only where the server offers
     * PIPELINING, and only a command RFC 2920 lets a group go on after (not EHLO, DATA, STARTTLS or QUIT).
     */
    public CompletableFuture<SmtpReply> request(Request request, Duration timeout) {
        CompletableFuture<SmtpReply> reply = expectReply(request, timeout);
        // A failed write reaches exceptionCaught, which fails the reply: no promise per request.
        channel.writeAndFlush(request.encode(channel.alloc()), channel.voidPromise());
        return reply;
    }

    /**
     * Queues a run of message content; ownership of the buffer passes to the channel. {@link #flush()} sends
     * what is queued, so one read from the client becomes one write to the server.
     */
    public void writeContent(ByteBuf content) {
        channel.write(content, channel.voidPromise());
    }

    /**
     * Sends what is queued now, past the flushes' consolidation, which would leave it to a later task of the loop:
     * after the replies to the client's read, so that the server would start on it later.
     */
    public void flush() {
        flushes.flush();
    }

    /** Ends the message with the end-of-data line and waits for the final reply. */
    public CompletableFuture<SmtpReply> endData(Duration timeout) {
        inMessage = false;
        CompletableFuture<SmtpReply> reply = expectReply(Request.END_OF_DATA, timeout);
        channel.writeAndFlush(END_OF_DATA.duplicate());
        return reply;
    }

    /**
     * Upgrades the connection after the server's 220 to STARTTLS; completes when the handshake does. Whatever the
     * server sent after its 220 came in clear and could be an attacker's (response injection): it is dropped.
     */
    public CompletableFuture<Void> startTls(SslContext context, String host, int port) {
        SslHandler tls = context.newHandler(channel.alloc(), host, port);
        SmtpReplyDecoder decoder = (SmtpReplyDecoder) channel.pipeline().get(DECODER);
        if (decoder != null) {
            decoder.discardBuffered();
        }
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

    /** The certificate chain the server presented in the TLS handshake, end entity first; empty without TLS. */
    public List<X509Certificate> peerCertificates() {
        SslHandler tls = channel.pipeline().get(SslHandler.class);
        if (tls == null) {
            return List.of();
        }
        try {
            List<X509Certificate> chain = new ArrayList<>();
            for (Certificate certificate : tls.engine().getSession().getPeerCertificates()) {
                if (certificate instanceof X509Certificate x509) {
                    chain.add(x509);
                }
            }
            return chain;
        } catch (SSLPeerUnverifiedException e) {
            return List.of();
        }
    }

    /**
     * The reply, when it has the code expected at this stage; otherwise the connection is closed and the result
     * fails with a message naming the stage and the reply.
     */
    public CompletableFuture<SmtpReply> expect(SmtpReply reply, int code, String stage) {
        if (reply.code() == code) {
            return CompletableFuture.completedFuture(reply);
        }
        abort();
        return CompletableFuture.failedFuture(new IOException(peer + " answered " + stage + " with " + reply));
    }

    /** The innermost cause of a failure, as {@code ConnectException: Connection refused}, for logs. */
    public static String rootMessage(Throwable error) {
        Throwable cause = error;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        return cause.getClass().getSimpleName() + ": " + cause.getMessage();
    }

    /** Closes at once: a message under way is never ended, so the server discards it. */
    public void abort() {
        closedByUs = true;
        channel.close();
    }

    /** Says goodbye politely when idle; closes at once otherwise, which abandons a message under way. */
    public void quit(Duration timeout) {
        closedByUs = true;
        if (!awaited.isEmpty() || inMessage || !channel.isActive()) {
            channel.close();
            return;
        }
        request(Request.QUIT, timeout).whenComplete((reply, error) -> channel.close());
    }

    private CompletableFuture<SmtpReply> expectReply(Request request, Duration timeout) {
        Awaited last = awaited.peekLast();
        if (last != null && !(capabilities.pipelining() && last.request() instanceof Request.Groupable)) {
            throw new IllegalStateException("a request to " + peer + " awaits its reply, and "
                    + (last.request() == null ? "the greeting" : last.request().line()) + " ends a group");
        }
        CompletableFuture<SmtpReply> reply = new CompletableFuture<>();
        if (!channel.isActive()) {
            reply.completeExceptionally(new IOException("connection to " + peer + " is closed"));
            return reply;
        }
        awaited.addLast(new Awaited(request, reply, timeout, timesReplies() ? System.nanoTime() : 0));
        if (last == null) {
            replyTimeout.arm(timeout);
        }
        return reply;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, SmtpReply reply) {
        Awaited answered = awaited.pollFirst();
        if (answered == null) {
            // An answer nobody asked for: response injection or a confused server. Trust nothing more from it.
            fail(new IOException(peer + " sent an unsolicited reply: " + reply));
            abort();
            return;
        }
        replyTimeout.disarm();
        Awaited next = awaited.peekFirst();
        if (next != null) {
            replyTimeout.arm(next.timeout());
        }
        inMessage = reply.code() == 354;
        followTransaction(answered.request(), reply);
        answered(answered.request(), reply, timesReplies() ? System.nanoTime() - answered.sentNanos() : 0);
        answered.reply().complete(reply);
    }

    private void followTransaction(Request request, SmtpReply reply) {
        if (request instanceof Request.Mail) {
            inTransaction |= reply.isPositive();
        } else if (request instanceof Request.EndOfData) {
            // The final reply ends the transaction whatever it says (RFC 5321 §4.1.1.4).
            inTransaction = false;
        } else if (request instanceof Request.Rset || request instanceof Request.Ehlo
                || request instanceof Request.Xclient) {
            inTransaction &= !reply.isPositive();
        }
    }

    /**
     * The server answered the request; for subclasses that follow its state.
     *
     * @param latencyNanos from the request written to its reply, where {@link #timesReplies}; 0 otherwise
     */
    protected void answered(Request request, SmtpReply reply, long latencyNanos) {
    }

    /** Whether {@link #answered} is told how long each reply took: for subclasses that react to it. */
    protected boolean timesReplies() {
        return false;
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
        if (!awaited.isEmpty()) {
            fail(new IOException("connection to " + peer + " closed"));
        } else if (!closedByUs) {
            onLost.run();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        fail(cause);
        ctx.close();
    }

    /** Fails every request awaiting its reply, oldest first: none of them will be answered now. */
    private void fail(Throwable cause) {
        replyTimeout.disarm();
        Awaited failed;
        while ((failed = awaited.pollFirst()) != null) {
            failed.reply().completeExceptionally(cause);
        }
    }

    /** A request sent (null for the greeting), the reply it waits for, and when it was sent (where timed). */
    private record Awaited(Request request, CompletableFuture<SmtpReply> reply, Duration timeout, long sentNanos) {}

    @Override
    public String toString() {
        return peer.toString();
    }

    /**
     * Opens a TCP connection with the reply decoder and {@code connection} in its pipeline; nothing is read yet.
     *
     * @param local the address to bind, or null for any
     */
    public static <C extends SmtpClientConnection> CompletableFuture<C> connect(
            EventLoop loop, Class<? extends SocketChannel> channelClass, SocketAddress remote, SocketAddress local,
            Duration connectTimeout, C connection) {
        Bootstrap bootstrap = new Bootstrap()
                .group(loop)
                .channel(channelClass)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) connectTimeout.toMillis())
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        channel.pipeline()
                                // The requests a client's read makes (a pipelined group) leave in one write.
                                .addLast(FLUSHES, new FlushConsolidationHandler(
                                        FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true))
                                .addLast(DECODER, new SmtpReplyDecoder())
                                .addLast("client", connection);
                    }
                });
        ChannelFuture connected = local == null ? bootstrap.connect(remote) : bootstrap.connect(remote, local);
        CompletableFuture<C> result = new CompletableFuture<>();
        connected.addListener(future -> {
            if (future.isSuccess()) {
                result.complete(connection);
            } else {
                result.completeExceptionally(future.cause());
            }
        });
        return result;
    }

    /** The server did not answer within the RFC 5321 §4.5.3.2 timeout for the stage. */
    public static final class ReplyTimeoutException extends IOException {
        ReplyTimeoutException(Object peer, Duration timeout) {
            super(peer + " did not answer within " + timeout);
        }
    }
}
