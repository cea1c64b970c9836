package io.sluice.proxy.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.bucket4j.TimeMeter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.sluice.config.BareLineEndings;
import io.sluice.config.PolicyConfig;
import io.sluice.policy.cluster.LimitStore;
import io.sluice.policy.eval.PolicyEngine;
import io.sluice.policy.eval.SessionLimits;
import io.sluice.proxy.session.ClientFrames;
import io.sluice.proxy.session.SessionSettings;
import io.sluice.proxy.session.SmtpSession;
import io.sluice.proxy.session.Step;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * The server side of a relayed session in {@link EmbeddedChannel}s: the client's bytes go through the real
 * {@link SmtpFrameDecoder}, {@link ClientFrames} and {@link SmtpSession}, whose steps are carried out as the
 * inbound session handler does, against {@link ScriptedBackend}s that answer at once. The policy admits
 * everything; STARTTLS is answered and the handshake taken as done. Records each frame that needs an answer
 * with the reply it got.
 */
final class EmbeddedRelay {

    static final SessionSettings SETTINGS = new SessionSettings("proxy.example", 1_000_000, 100, 20, true);

    private static final Duration WAIT = Duration.ofMinutes(5);
    private static final PolicyEngine POLICY;

    static {
        LimitStore store = LimitStore.local(TimeMeter.SYSTEM_NANOTIME);
        POLICY = new PolicyEngine(PolicyConfig.EMPTY, store.limiter(), store.leases(), new SimpleMeterRegistry());
    }

    /**
     * A frame that needs an answer (a command's verb, or {@code <too long>}, {@code <end of data>},
     * {@code <early>}) and the reply it got.
     */
    record Answer(String frame, SmtpReply reply) {}

    /**
     * What one session came to.
     *
     * @param wire every octet sent to the client
     * @param greeting the first reply
     * @param unanswered the frame still waiting for its answer when the client left, or null
     * @param closedBySession whether the session closed the connection (after the last answer)
     * @param stateAtTheEnd the session's state after the last read, before the client left
     * @param backends what each backend connection received, oldest first
     */
    record Outcome(byte[] wire, SmtpReply greeting, List<Answer> answers, String unanswered, boolean closedBySession,
                   SmtpSession.State stateAtTheEnd, List<Received> backends) {}

    /** What one backend connection received: every octet, the command lines, the messages. */
    record Received(String octets, List<String> commands, List<String> messages) {}

    private final UnpooledByteBufAllocator alloc = new UnpooledByteBufAllocator(false);
    private final SmtpFrameDecoder framer;
    private final SmtpSession session = new SmtpSession(SETTINGS, () -> 0L);
    private final SessionLimits limits = POLICY.openSession("mx", InetAddress.getLoopbackAddress());
    private final EmbeddedChannel client;
    private final List<ScriptedBackend> backends = new ArrayList<>();
    private final List<Answer> answers = new ArrayList<>();
    private final List<Throwable> failures = new ArrayList<>();
    private final ByteArrayOutputStream wire = new ByteArrayOutputStream();
    private ChannelHandlerContext ctx;
    private ScriptedBackend backend;
    private SmtpReply greeting;
    private String asked;
    private boolean closed;
    private boolean leaving;

    private EmbeddedRelay(BareLineEndings bareLineEndings) {
        framer = new SmtpFrameDecoder(bareLineEndings);
        // Registering makes the channel active: the session opens its backend and greets.
        client = new EmbeddedChannel(framer, new Handler());
        client.config().setAllocator(alloc);
        pump();
    }

    /** Runs one session: the reads arrive one by one, each once the previous one is fully answered. */
    static Outcome run(BareLineEndings bareLineEndings, List<byte[]> reads) {
        EmbeddedRelay relay = new EmbeddedRelay(bareLineEndings);
        for (byte[] read : reads) {
            if (!relay.client.isOpen()) {
                break;
            }
            relay.client.writeInbound(relay.alloc.buffer(read.length).writeBytes(read));
            relay.pump();
        }
        return relay.finish();
    }

    private Outcome finish() {
        SmtpSession.State beforeLeaving = session.state();
        leaving = true;
        client.close();
        limits.close();
        if (!closed) {
            session.onClientGone();
            session.takeFinishedTransaction();
        }
        takeWire();
        client.checkException();
        assertThat(failures).as("failures in backend callbacks").isEmpty();
        List<Received> received = new ArrayList<>();
        for (ScriptedBackend each : backends) {
            each.close();
            received.add(new Received(new String(each.received(), StandardCharsets.ISO_8859_1), each.commands(),
                    each.messages()));
        }
        assertThat(alloc.metric().usedHeapMemory()).as("bytes of buffers never released").isZero();
        return new Outcome(wire.toByteArray(), greeting, List.copyOf(answers), asked, closed, beforeLeaving, received);
    }

    /** Lets the backends answer until none has anything left to answer. */
    private void pump() {
        boolean any = true;
        while (any) {
            any = false;
            for (ScriptedBackend each : List.copyOf(backends)) {
                any |= each.pump();
            }
            client.runPendingTasks();
        }
        takeWire();
    }

    private void takeWire() {
        for (Object written; (written = client.readOutbound()) != null; ) {
            ByteBuf bytes = (ByteBuf) written;
            wire.writeBytes(ByteBufUtil.getBytes(bytes));
            bytes.release();
        }
    }

    /** Carries out one step of the session, as the inbound session handler does. */
    private void run(Step step) {
        if (closed) {
            return;
        }
        if (step instanceof Step.Reply reply) {
            write(reply.reply());
            framer.expectCommand();
        } else if (step instanceof Step.Forward forward) {
            withBackend(true, connection -> then(connection.request(forward.line(), WAIT),
                    reply -> run(session.onBackendReply(reply))));
        } else if (step instanceof Step.ReceiveData receive) {
            write(receive.reply());
            framer.expectData(receive.maxMessageSize());
        } else if (step instanceof Step.EndData) {
            if (backend == null) {
                run(session.onBackendLost());
            } else {
                then(backend.connection().endData(WAIT), reply -> run(session.onBackendReply(reply)));
            }
        } else if (step instanceof Step.Admit) {
            run(session.onAdmitted());
        } else if (step instanceof Step.Introduce introduce) {
            limits.helo(introduce.helo());
            withBackend(false, connection -> then(connection.request("EHLO " + session.helo(), WAIT), reply -> {
                connection.capabilities(BackendCapabilities.fromEhlo(reply));
                run(session.onIntroduced(reply));
            }));
        } else if (step instanceof Step.OpenBackend) {
            withBackend(false, connection -> run(session.onBackendReady(connection.capabilities())));
        } else if (step instanceof Step.AbortData abort) {
            backend.connection().abort();
            backend = null;
            run(new Step.Reply(abort.reply()));
        } else if (step instanceof Step.StartTls startTls) {
            framer.discardBuffered();
            write(startTls.reply());
            session.onTlsStarted();
            framer.expectCommand();
        } else if (step instanceof Step.Close close) {
            closed = true;
            write(close.reply());
            ctx.close();
            if (backend != null) {
                backend.connection().abort();
            }
        } else {
            assertThat(step).as("a step with nothing to do").isInstanceOf(Step.None.class);
        }
        session.takeFinishedTransaction();
    }

    /** The session's backend, a new one (introduced first where asked and the client said HELO) if it was dropped. */
    private void withBackend(boolean introduceFirst, Consumer<SmtpClientConnection> action) {
        if (backend != null) {
            action.accept(backend.connection());
            return;
        }
        backend = new ScriptedBackend(alloc);
        backends.add(backend);
        SmtpClientConnection connection = backend.connection();
        if (introduceFirst && session.helo() != null) {
            then(connection.request("EHLO " + session.helo(), WAIT), reply -> action.accept(connection));
        } else {
            action.accept(connection);
        }
    }

    /** Continues with the backend's reply; a failure is kept for the outcome (a callback's exception is lost). */
    private void then(CompletableFuture<SmtpReply> reply, Consumer<SmtpReply> next) {
        reply.whenComplete((answer, error) -> {
            try {
                if (error != null) {
                    throw new AssertionError("the backend failed", error);
                }
                next.accept(answer);
            } catch (Throwable t) {
                failures.add(t);
            }
        });
    }

    private void write(SmtpReply reply) {
        if (greeting == null) {
            greeting = reply;
        } else {
            assertThat(asked).as("a frame waiting for the reply %s", reply).isNotNull();
            answers.add(new Answer(asked, reply));
            asked = null;
        }
        ctx.writeAndFlush(Unpooled.wrappedBuffer(reply.encode()));
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

    /** The session handler's part: frames in, steps out. */
    private final class Handler extends ChannelInboundHandlerAdapter {
        @Override
        public void handlerAdded(ChannelHandlerContext context) {
            ctx = context;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            run(session.onConnected());
            ctx.fireChannelActive();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            SmtpFrame frame = (SmtpFrame) msg;
            if (closed || leaving) {
                if (frame instanceof SmtpFrame.DataContent content) {
                    content.content().release();
                }
                return;
            }
            if (!(frame instanceof SmtpFrame.DataContent)) {
                assertThat(asked).as("a frame before the answer to the previous one").isNull();
                asked = nameOf(frame);
            }
            Step step = ClientFrames.dispatch(frame, session, limits, backend == null ? null : backend.connection());
            if (step != null) {
                run(step);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            if (backend != null) {
                backend.connection().flush();
            }
            ctx.fireChannelReadComplete();
        }
    }
}
