package io.sluice.proxy.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.bucket4j.TimeMeter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import io.sluice.config.BareLineEndings;
import io.sluice.config.PolicyConfig;
import io.sluice.policy.cluster.LimitStore;
import io.sluice.policy.eval.PolicyEngine;
import io.sluice.proxy.relay.ClientAddress;
import io.sluice.proxy.relay.ListenerContext;
import io.sluice.proxy.relay.NextHop;
import io.sluice.proxy.relay.SessionDriver;
import io.sluice.proxy.relay.TransactionMeters;
import io.sluice.proxy.session.FinishedTransaction;
import io.sluice.proxy.session.SessionSettings;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.SSLException;
import net.logstash.logback.argument.StructuredArgument;

/**
 * The server side of a relayed session in {@link EmbeddedChannel}s: the client's bytes go through the real
 * {@link SmtpFrameDecoder} and the production {@link SessionDriver}, whose next hop talks to
 * {@link ScriptedBackend}s that answer at once. The policy admits everything; STARTTLS is a real handshake with
 * an in-memory TLS client, which then carries the rest of the client's reads. Records each frame that needs an
 * answer with the reply it got.
 */
final class EmbeddedRelay {

    static final SessionSettings SETTINGS = new SessionSettings("proxy.example", 1_000_000, 100, 20, true);

    private static final Duration WAIT = Duration.ofMinutes(5);
    private static final InetSocketAddress CLIENT = new InetSocketAddress(InetAddress.getLoopbackAddress(), 40000);
    private static final ListenerContext CONTEXT;
    private static final SslContext CLIENT_TLS;

    static {
        LimitStore store = LimitStore.local(TimeMeter.SYSTEM_NANOTIME);
        PolicyEngine policy = new PolicyEngine(PolicyConfig.EMPTY, store.limiter(), store.leases(),
                new SimpleMeterRegistry());
        try {
            SelfSignedCertificate certificate = new SelfSignedCertificate("proxy.example", "EC", 256);
            SslContext serverTls = SslContextBuilder.forServer(certificate.certificate(), certificate.privateKey())
                    .build();
            CLIENT_TLS = SslContextBuilder.forClient().trustManager(InsecureTrustManagerFactory.INSTANCE).build();
            CONTEXT = new ListenerContext("mx", true, SETTINGS, WAIT, serverTls, policy,
                    new TransactionMeters(new SimpleMeterRegistry()));
        } catch (CertificateException | SSLException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * A frame that needs an answer (a command's verb, or {@code <too long>}, {@code <end of data>},
     * {@code <early>}) and the reply it got.
     */
    record Answer(String frame, SmtpReply reply) {}

    /**
     * What one session came to.
     *
     * @param wire every octet of reply sent to the client (before TLS protected it)
     * @param greeting the first reply
     * @param unanswered the frame still waiting for its answer when the client left, or null
     * @param closedBySession whether the session closed the connection (after the last answer)
     * @param backends what each backend connection received, oldest first
     */
    record Outcome(byte[] wire, SmtpReply greeting, List<Answer> answers, String unanswered, boolean closedBySession,
                   List<Received> backends) {}

    /** What one backend connection received: every octet, the command lines, the messages. */
    record Received(String octets, List<String> commands, List<String> messages) {}

    private final UnpooledByteBufAllocator alloc = new UnpooledByteBufAllocator(false);
    private final EmbeddedChannel server;
    private final List<ScriptedBackend> backends = new ArrayList<>();
    private final List<Answer> answers = new ArrayList<>();
    private final ByteArrayOutputStream wire = new ByteArrayOutputStream();
    // The client's end of the TLS session, once STARTTLS has started it; or null.
    private EmbeddedChannel tlsClient;
    private SmtpReply greeting;
    // The frames taken and not yet answered, oldest first: more than one while pipelined commands await the backend.
    private final Deque<String> asked = new ArrayDeque<>();
    private boolean closedBySession;
    private boolean leaving;

    private EmbeddedRelay(BareLineEndings bareLineEndings) {
        server = new EmbeddedChannel(new SmtpFrameDecoder(bareLineEndings), new Recorder(),
                new SessionDriver(CONTEXT, session -> new ScriptedHop()));
        server.config().setAllocator(alloc);
        // As a PROXY header would tell it: the session starts, opens its next hop and greets.
        server.pipeline().fireUserEventTriggered(new ClientAddress(CLIENT));
        pump();
    }

    /** Runs one session: the reads arrive one by one, each once the previous one is fully answered. */
    static Outcome run(BareLineEndings bareLineEndings, List<byte[]> reads) {
        EmbeddedRelay relay = new EmbeddedRelay(bareLineEndings);
        for (byte[] read : reads) {
            if (!relay.server.isOpen()) {
                break;
            }
            relay.receive(read);
            relay.pump();
        }
        return relay.finish();
    }

    private void receive(byte[] read) {
        if (tlsClient == null) {
            server.writeInbound(alloc.buffer(read.length).writeBytes(read));
        } else {
            tlsClient.writeOutbound(alloc.buffer(read.length).writeBytes(read));
        }
    }

    private Outcome finish() {
        leaving = true;
        server.close();
        pump();
        server.checkException();
        List<Received> received = new ArrayList<>();
        for (ScriptedBackend each : backends) {
            each.close();
            received.add(new Received(new String(each.received(), StandardCharsets.ISO_8859_1), each.commands(),
                    each.messages()));
        }
        if (tlsClient != null) {
            tlsClient.finishAndReleaseAll();
        }
        server.finishAndReleaseAll();
        assertThat(alloc.metric().usedHeapMemory()).as("bytes of buffers never released").isZero();
        return new Outcome(wire.toByteArray(), greeting, List.copyOf(answers), asked.peekFirst(), closedBySession,
                List.copyOf(received));
    }

    /** Lets the backends answer and the TLS peers talk until nobody has anything left to say. */
    private void pump() {
        boolean any = true;
        while (any) {
            any = false;
            for (ScriptedBackend each : List.copyOf(backends)) {
                any |= each.pump();
            }
            server.runPendingTasks();
            if (tlsClient == null && server.pipeline().get("tls") != null) {
                // The 220 went out in clear, recorded already; everything after it is TLS.
                for (Object written; (written = server.readOutbound()) != null; ) {
                    ((ByteBuf) written).release();
                }
                tlsClient = new EmbeddedChannel(CLIENT_TLS.newHandler(alloc));
                any = true;
            }
            any |= carry();
        }
    }

    /** Carries the TLS records between the server and the client's end; plain replies are recorded already. */
    private boolean carry() {
        boolean any = false;
        for (Object written; (written = server.readOutbound()) != null; ) {
            any = true;
            if (tlsClient != null && tlsClient.isOpen()) {
                tlsClient.writeInbound(written);
            } else {
                ((ByteBuf) written).release();
            }
        }
        if (tlsClient == null) {
            return any;
        }
        for (Object decrypted; (decrypted = tlsClient.readInbound()) != null; ) {
            ((ByteBuf) decrypted).release();
        }
        for (Object record; (record = tlsClient.readOutbound()) != null; ) {
            any = true;
            if (server.isOpen()) {
                server.writeInbound(record);
            } else {
                ((ByteBuf) record).release();
            }
        }
        return any;
    }

    private static String nameOf(SmtpFrame frame) {
        if (frame instanceof SmtpFrame.CommandLine command) {
            String line = new String(command.line(), StandardCharsets.ISO_8859_1);
            int space = line.indexOf(' ');
            return (space < 0 ? line : line.substring(0, space)).toUpperCase(Locale.ROOT);
        }
        return frame instanceof SmtpFrame.CommandTooLong ? "<too long>"
                : frame instanceof SmtpFrame.DataEnd ? "<end of data>" : "<early>";
    }

    /** One reply as written: its lines, each {@code code-text} or {@code code text}. */
    private static SmtpReply decode(byte[] octets) {
        String[] lines = new String(octets, StandardCharsets.UTF_8).split("\r\n");
        List<String> texts = new ArrayList<>();
        for (String line : lines) {
            texts.add(line.substring(4));
        }
        return new SmtpReply(Integer.parseInt(lines[0].substring(0, 3)), texts);
    }

    /** Between the framer and the session: pairs each frame that needs an answer with the reply it gets. */
    private final class Recorder extends ChannelDuplexHandler {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!closedBySession && !leaving && msg instanceof SmtpFrame frame
                    && !(frame instanceof SmtpFrame.DataContent)) {
                assertThat(asked).as("a frame taken while one that needs the earlier replies waits")
                        .allMatch(waiting -> waiting.equals("MAIL") || waiting.equals("RCPT"));
                asked.addLast(nameOf(frame));
            }
            ctx.fireChannelRead(msg);
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            byte[] octets = ByteBufUtil.getBytes((ByteBuf) msg);
            wire.writeBytes(octets);
            SmtpReply reply = decode(octets);
            if (greeting == null) {
                greeting = reply;
            } else {
                assertThat(asked).as("a frame waiting for the reply %s", reply).isNotEmpty();
                answers.add(new Answer(asked.pollFirst(), reply));
            }
            ctx.write(msg, promise);
        }

        @Override
        public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
            closedBySession |= !leaving;
            ctx.close(promise);
        }
    }

    /**
     * The session's next hop, a {@link ScriptedBackend}: EHLO gives it the client's name, a lost (dropped)
     * connection is replaced by a new one, introduced first, before the next command.
     */
    private final class ScriptedHop implements NextHop {

        private ScriptedBackend backend;
        private String helo;

        @Override
        public CompletableFuture<ServerCapabilities> open() {
            return CompletableFuture.completedFuture(connection().capabilities());
        }

        @Override
        public CompletableFuture<Introduction> introduce(String helo, boolean esmtp) {
            this.helo = helo;
            SmtpClientConnection connection = connection();
            return ehlo(connection).thenApply(Introduction.Answered::new);
        }

        @Override
        public CompletableFuture<SmtpReply> forward(Request request) {
            if (backend != null) {
                return backend.connection().request(request, WAIT);
            }
            SmtpClientConnection connection = connection();
            return ehlo(connection).thenCompose(ignored -> connection.request(request, WAIT));
        }

        @Override
        public boolean pipelines() {
            return backend != null && backend.connection().capabilities().pipelining();
        }

        private CompletableFuture<SmtpReply> ehlo(SmtpClientConnection connection) {
            return connection.request(new Request.Ehlo(helo), WAIT).thenApply(reply -> {
                connection.capabilities(ServerCapabilities.fromEhlo(reply));
                return reply;
            });
        }

        private SmtpClientConnection connection() {
            if (backend == null) {
                backend = new ScriptedBackend(alloc);
                backends.add(backend);
            }
            return backend.connection();
        }

        @Override
        public void writeContent(ByteBuf content) {
            if (backend != null) {
                backend.connection().writeContent(content);
            } else {
                content.release();
            }
        }

        @Override
        public void flush() {
            if (backend != null) {
                backend.connection().flush();
            }
        }

        @Override
        public CompletableFuture<SmtpReply> endData() {
            return backend.connection().endData(WAIT);
        }

        @Override
        public void abandon() {
            backend.connection().abort();
            backend = null;
        }

        @Override
        public List<StructuredArgument> logFields() {
            return List.of();
        }

        @Override
        public void transactionFinished(FinishedTransaction transaction) {
        }

        @Override
        public void close() {
            if (backend != null) {
                backend.connection().abort();
            }
        }
    }
}
