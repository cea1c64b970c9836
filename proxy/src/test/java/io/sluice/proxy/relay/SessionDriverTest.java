package io.sluice.proxy.relay;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.github.bucket4j.TimeMeter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import io.sluice.config.BareLineEndings;
import io.sluice.config.Counted;
import io.sluice.config.LimitRule;
import io.sluice.config.PolicyConfig;
import io.sluice.config.Rate;
import io.sluice.config.RuleKey;
import io.sluice.config.RuleReply;
import io.sluice.policy.cluster.LimitStore;
import io.sluice.policy.eval.PolicyEngine;
import io.sluice.policy.model.Decision;
import io.sluice.proxy.lifecycle.ClientSessions;
import io.sluice.proxy.session.FinishedTransaction;
import io.sluice.proxy.session.SessionSettings;
import io.sluice.proxy.smtp.Request;
import io.sluice.proxy.smtp.ServerCapabilities;
import io.sluice.proxy.smtp.SmtpFrameDecoder;
import io.sluice.proxy.smtp.SmtpReply;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import net.logstash.logback.argument.StructuredArgument;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The session driver in an {@link EmbeddedChannel}, against a next hop whose answers the test gives: the client's
 * bytes split anywhere, STARTTLS, the drain in every state a session can be in, and a client that leaves while the
 * policy or the next hop still owes an answer.
 */
class SessionDriverTest {

    private static final SessionSettings SETTINGS = new SessionSettings("proxy.example", 1_000_000, 100, 20, true);
    private static final InetSocketAddress CLIENT = new InetSocketAddress(InetAddress.getLoopbackAddress(), 40000);
    private static final SmtpReply EHLO = new SmtpReply(250, List.of("hop.example", "PIPELINING", "SIZE 500000",
            "8BITMIME", "DSN"));
    private static final String COMMANDS = "EHLO client.example\r\nMAIL FROM:<a@x.example> SIZE=40\r\n"
            + "RCPT TO:<b@y.example>\r\nRCPT TO:<c@y.example> NOTIFY=NEVER\r\nDATA\r\n";
    private static final String MESSAGE = "Subject: split\r\n\r\n..a dot, stuffed\r\nbye\r\n.\r\nQUIT\r\n";

    private final List<Harness> harnesses = new ArrayList<>();
    private final Harness relay = harness();

    @AfterEach
    void close() {
        harnesses.forEach(Harness::close);
    }

    private Harness harness() {
        Harness harness = new Harness(new FakeHop());
        harnesses.add(harness);
        return harness;
    }

    @Test
    void pipelinedCommandsSplitAtEveryOctetGetTheSameAnswersAndTheSameRequests() {
        String whole = relay.session(List.of(COMMANDS, MESSAGE));
        List<String> requests = List.copyOf(relay.hop.requests);
        String content = relay.hop.content.toString(ISO_8859_1);
        assertThat(whole).startsWith("220 proxy.example ESMTP\r\n").contains("354 ").contains("250 2.0.0 queued\r\n")
                .endsWith("221 2.0.0 Bye\r\n");
        assertThat(requests).containsExactly("MAIL FROM:<a@x.example> SIZE=40", "RCPT TO:<b@y.example>",
                "RCPT TO:<c@y.example> NOTIFY=NEVER", "DATA", ".");
        assertThat(content).isEqualTo("Subject: split\r\n\r\n..a dot, stuffed\r\nbye\r\n");

        for (String part : List.of(COMMANDS, MESSAGE)) {
            for (int cut = 1; cut < part.length(); cut++) {
                List<String> reads = new ArrayList<>();
                for (String each : List.of(COMMANDS, MESSAGE)) {
                    if (each.equals(part)) {
                        reads.add(each.substring(0, cut));
                        reads.add(each.substring(cut));
                    } else {
                        reads.add(each);
                    }
                }
                FakeHop fresh = new FakeHop();
                String split = harness(fresh).session(reads);
                assertThat(split).as("cut at %d", cut).isEqualTo(whole);
                assertThat(fresh.requests).as("cut at %d", cut).isEqualTo(requests);
                assertThat(fresh.content.toString(ISO_8859_1)).as("cut at %d", cut).isEqualTo(content);
            }
        }
        List<String> octets = new ArrayList<>();
        (COMMANDS + MESSAGE).chars().forEach(c -> octets.add(String.valueOf((char) c)));
        assertThat(harness().session(octets)).as("one octet per read").isEqualTo(whole);
    }

    @Test
    void whatWasPipelinedAfterStartTlsIsDiscardedUnanswered() throws Exception {
        SelfSignedCertificate certificate = new SelfSignedCertificate("proxy.example", "EC", 256);
        SslContext tls = SslContextBuilder.forServer(certificate.certificate(), certificate.privateKey()).build();
        relay.open(tls, PolicyConfig.EMPTY);
        relay.send("EHLO client.example\r\n");
        assertThat(relay.replies()).contains("250 STARTTLS");

        relay.send("STARTTLS\r\nMAIL FROM:<injected@evil.example>\r\nRCPT TO:<x@y.example>\r\n");

        assertThat(relay.replies()).as("only the 220 that starts the handshake").isEqualTo("220 2.0.0 Ready to start TLS\r\n");
        assertThat(relay.channel.pipeline().get("tls")).isNotNull();
        assertThat(relay.hop.requests).as("nothing sent in clear reaches the next hop").isEmpty();
    }

    @Test
    void anIdleSessionEndsAtTheDrain() {
        relay.open(null, PolicyConfig.EMPTY);
        relay.send("EHLO client.example\r\n");
        relay.replies();

        relay.goodbye();

        assertThat(relay.replies()).isEqualTo("421 4.3.2 Service shutting down, try again later\r\n");
        assertThat(relay.channel.isOpen()).isFalse();
        assertThat(relay.hop.closed).isEqualTo(1);
    }

    @Test
    void aSessionNotGreetedYetIsGreetedThenEndedAtTheDrain() {
        relay.hop.holdOpen = true;
        relay.open(null, PolicyConfig.EMPTY);
        relay.goodbye();
        assertThat(relay.replies()).as("nothing before the next hop is ready").isEmpty();

        relay.hop.opening.complete(ServerCapabilities.fromEhlo(EHLO));

        assertThat(relay.replies()).isEqualTo("220 proxy.example ESMTP\r\n421 4.3.2 Service shutting down, try again later\r\n");
        assertThat(relay.channel.isOpen()).isFalse();
    }

    @Test
    void aTransactionFinishesBeforeTheDrainEndsTheSession() {
        relay.open(null, PolicyConfig.EMPTY);
        relay.send("EHLO client.example\r\nMAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\n");
        relay.replies();

        relay.goodbye();
        assertThat(relay.channel.isOpen()).as("in the transaction").isTrue();
        relay.send("DATA\r\n");
        assertThat(relay.replies()).startsWith("354 ");
        relay.send("Subject: drained\r\n\r\nbody\r\n");
        relay.goodbye();
        assertThat(relay.channel.isOpen()).as("in the message").isTrue();
        relay.send(".\r\n");

        assertThat(relay.replies()).isEqualTo("250 2.0.0 queued\r\n421 4.3.2 Service shutting down, try again later\r\n");
        assertThat(relay.hop.finished).extracting(FinishedTransaction::outcome).containsExactly("delivered");
        assertThat(relay.channel.isOpen()).isFalse();
    }

    @Test
    void aCommandAwaitingTheNextHopIsAnsweredBeforeTheDrainEndsTheSession() {
        relay.open(null, PolicyConfig.EMPTY);
        relay.send("EHLO client.example\r\n");
        relay.replies();
        relay.hop.holdRequests = true;
        relay.send("MAIL FROM:<a@x.example>\r\n");

        relay.goodbye();
        assertThat(relay.replies()).as("the MAIL waits for the next hop").isEmpty();
        relay.hop.answerHeld(SmtpReply.of(250, "2.1.0", "Ok"));
        assertThat(relay.replies()).as("a transaction is open now").isEqualTo("250 2.1.0 Ok\r\n");
        assertThat(relay.channel.isOpen()).isTrue();

        relay.hop.holdRequests = false;
        relay.send("RSET\r\n");

        assertThat(relay.replies()).isEqualTo("250 2.0.0 Ok\r\n421 4.3.2 Service shutting down, try again later\r\n");
        assertThat(relay.hop.finished).extracting(FinishedTransaction::outcome).containsExactly("reset");
    }

    @Test
    void aCommandAwaitingThePolicyIsCarriedOnBeforeTheDrainEndsTheSession() {
        relay.open(null, delayingEveryMessageAfterTheFirst(Duration.ofSeconds(10)));
        relay.send("EHLO client.example\r\nMAIL FROM:<a@x.example>\r\nRSET\r\nMAIL FROM:<c@x.example>\r\n");
        assertThat(relay.replies()).endsWith("250 2.0.0 Ok\r\n");

        relay.goodbye();
        assertThat(relay.channel.isOpen()).as("the second MAIL waits its tarpit").isTrue();
        relay.channel.advanceTimeBy(10, TimeUnit.SECONDS);
        relay.channel.runScheduledPendingTasks();

        assertThat(relay.replies()).as("the MAIL went on after its wait, and opened a transaction").isEqualTo("250 2.0.0 Ok\r\n");
        assertThat(relay.hop.requests).endsWith("MAIL FROM:<c@x.example>");
        relay.send("QUIT\r\n");
        assertThat(relay.replies()).isEqualTo("221 2.0.0 Bye\r\n");
    }

    @Test
    void aClientThatLeavesDuringThePolicysWaitLeavesNothingBehind() {
        relay.open(null, delayingEveryMessageAfterTheFirst(Duration.ofSeconds(10)));
        relay.send("EHLO client.example\r\nMAIL FROM:<a@x.example>\r\nRSET\r\nMAIL FROM:<c@x.example>\r\n");
        relay.replies();
        int before = relay.hop.requests.size();

        relay.channel.close();
        relay.channel.advanceTimeBy(10, TimeUnit.SECONDS);
        relay.channel.runScheduledPendingTasks();

        relay.channel.checkException();
        assertThat(relay.hop.requests).as("nothing asked of the next hop after the client left").hasSize(before);
        assertThat(relay.hop.closed).isEqualTo(1);
        assertThat(relay.replies()).as("no answer to the MAIL after the client left").isEmpty();
        assertThat(relay.hop.finished).extracting(FinishedTransaction::outcome).containsExactly("reset");
    }

    @Test
    void aClientThatLeavesWhileTheNextHopRoutesARecipientIsNotAnsweredLater() {
        relay.open(null, PolicyConfig.EMPTY);
        relay.send("EHLO client.example\r\nMAIL FROM:<a@x.example>\r\n");
        relay.replies();
        relay.hop.route = new CompletableFuture<>();
        relay.send("RCPT TO:<b@y.example>\r\n");

        relay.channel.close();
        relay.hop.route.complete(Optional.empty());

        relay.channel.checkException();
        assertThat(relay.hop.requests).containsExactly("MAIL FROM:<a@x.example>");
        assertThat(relay.hop.finished).extracting(FinishedTransaction::outcome).containsExactly("aborted");
        assertThat(relay.hop.closed).isEqualTo(1);
    }

    @Test
    void eachKindOfNextHopFailureGetsItsOwnAnswer() {
        relay.hop.holdOpen = true;
        relay.open(null, PolicyConfig.EMPTY);
        relay.hop.opening.completeExceptionally(new NextHop.Busy("every backend busy",
                Decision.refuse("backends", new RuleReply(421, "4.7.0", "Busy, come back later"), Duration.ZERO,
                        Duration.ofSeconds(60))));
        assertThat(relay.replies()).isEqualTo("421 4.7.0 Busy, come back later\r\n");
        assertThat(relay.channel.isOpen()).isFalse();

        FakeHop refusing = new FakeHop();
        Harness other = harness(refusing);
        other.open(null, PolicyConfig.EMPTY);
        refusing.introduction = CompletableFuture.completedFuture(
                new NextHop.Introduction.Known(ServerCapabilities.fromEhlo(EHLO)));
        other.send("EHLO client.example\r\n");
        assertThat(other.replies()).contains("250-proxy.example\r\n");
        refusing.failRequests = new NextHop.Refused(SmtpReply.of(550, "5.7.1", "No such HELO here"));
        other.send("MAIL FROM:<a@x.example>\r\nMAIL FROM:<a@x.example>\r\n");
        assertThat(other.replies()).as("the refusal answers the MAIL, and the client must say EHLO again")
                .isEqualTo("550 5.7.1 No such HELO here\r\n503 5.5.1 Send HELO/EHLO first\r\n");
        
        FakeHop losing = new FakeHop();
        Harness third = harness(losing);
        third.open(null, PolicyConfig.EMPTY);
        third.send("EHLO client.example\r\nMAIL FROM:<a@x.example>\r\n");
        third.replies();
        losing.events.lost();
        third.send("RCPT TO:<b@y.example>\r\n");
        assertThat(third.replies()).as("lost between commands: the client hears at its next one")
                .isEqualTo("451 4.4.2 Connection to the next hop lost, message not accepted; try again later\r\n");
    }

    @Test
    void aPipelinedGroupGoesToANextHopThatPipelinesBeforeItsRepliesAndTheRepliesKeepTheirOrder() {
        greetedWithAnswersHeld(true);

        relay.send("MAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\nRCPT TO:<c@y.example>\r\nDATA\r\n");

        assertThat(relay.hop.requests).as("the whole group, before any reply")
                .containsExactly("MAIL FROM:<a@x.example>", "RCPT TO:<b@y.example>", "RCPT TO:<c@y.example>", "DATA");
        assertThat(relay.replies()).isEmpty();
        relay.hop.answerHeld(SmtpReply.of(250, "2.1.0", "Ok"));
        relay.hop.answerHeld(SmtpReply.of(250, "2.1.5", "Ok"));
        relay.hop.answerHeld(SmtpReply.of(550, "5.1.1", "No such user"));
        relay.hop.answerHeld(SmtpReply.START_MAIL_INPUT);
        relay.channel.runPendingTasks();
        assertThat(relay.replies()).isEqualTo("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n550 5.1.1 No such user\r\n"
                + "354 End data with <CR><LF>.<CR><LF>\r\n");

        relay.send("Subject: one of two\r\n.\r\n");
        assertThat(relay.replies()).isEqualTo("250 2.0.0 queued\r\n");
        assertThat(relay.hop.finished).extracting(FinishedTransaction::outcome, FinishedTransaction::recipients)
                .containsExactly(tuple("delivered", 1));
    }

    @Test
    void aCommandAnsweredHereOrNeedingTheEarlierRepliesWaitsForThem() {
        greetedWithAnswersHeld(true);

        relay.send("MAIL FROM:<a@x.example>\r\nRCPT TO:<broken\r\nNOOP\r\nRSET\r\n");

        assertThat(relay.hop.requests).containsExactly("MAIL FROM:<a@x.example>");
        assertThat(relay.replies()).as("nothing overtakes the MAIL's reply").isEmpty();
        relay.hop.answerHeld(SmtpReply.of(250, "2.1.0", "Ok"));
        relay.channel.runPendingTasks();
        assertThat(relay.replies()).startsWith("250 2.1.0 Ok\r\n501 ").endsWith("250 2.0.0 Ok\r\n");
        assertThat(relay.hop.requests).as("RSET went only after the NOOP was answered")
                .containsExactly("MAIL FROM:<a@x.example>", "RSET");
    }

    @Test
    void aNextHopLostWithAGroupUnderWayAnswersEachCommandAndOpensNoTransaction() {
        greetedWithAnswersHeld(true);
        relay.send("MAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\nDATA\r\n");
        assertThat(relay.hop.requests).hasSize(3);

        relay.hop.loseHeld();
        relay.channel.runPendingTasks();

        String lost = new String(SmtpReply.NEXT_HOP_LOST.encode(), ISO_8859_1);
        assertThat(relay.replies()).isEqualTo(lost.repeat(3));
        assertThat(relay.hop.finished).as("no MAIL was accepted: no transaction to log").isEmpty();
        relay.send("QUIT\r\n");
        assertThat(relay.replies()).isEqualTo("221 2.0.0 Bye\r\n");
    }

    @Test
    void aNextHopThatDoesNotPipelineGetsOneCommandAtATime() {
        greetedWithAnswersHeld(false);

        relay.send("MAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\n");

        assertThat(relay.hop.requests).containsExactly("MAIL FROM:<a@x.example>");
        relay.hop.answerHeld(SmtpReply.of(250, "2.1.0", "Ok"));
        relay.channel.runPendingTasks();
        assertThat(relay.hop.requests).containsExactly("MAIL FROM:<a@x.example>", "RCPT TO:<b@y.example>");
    }

    /** The client said EHLO to a next hop that holds its answers back, and pipelines if {@code pipelining}. */
    private void greetedWithAnswersHeld(boolean pipelining) {
        relay.hop.pipelining = pipelining;
        relay.hop.holdRequests = true;
        relay.open(null, PolicyConfig.EMPTY);
        relay.send("EHLO client.example\r\n");
        relay.replies();
    }

    private Harness harness(FakeHop hop) {
        Harness harness = new Harness(hop);
        harnesses.add(harness);
        return harness;
    }

    /** One session driver in its channel, its next hop, and what the client was sent. */
    private static final class Harness {
        final FakeHop hop;
        EmbeddedChannel channel;

        Harness(FakeHop hop) {
            this.hop = hop;
        }

        void close() {
            if (channel != null) {
                channel.finishAndReleaseAll();
            }
        }

        /** A whole session, the client's reads one by one; everything the client was sent. */
        String session(List<String> reads) {
            open(null, PolicyConfig.EMPTY);
            for (String read : reads) {
                send(read);
            }
            String replies = replies();
            close();
            return replies;
        }

        void open(SslContext tls, PolicyConfig policyConfig) {
            LimitStore store = LimitStore.local(TimeMeter.SYSTEM_NANOTIME);
            PolicyEngine policy = new PolicyEngine(policyConfig, store.limiter(), store.leases(), new SimpleMeterRegistry());
            ListenerContext context = new ListenerContext("mx", true, SETTINGS, Duration.ofMinutes(5), tls, policy,
                    new TransactionMeters(new SimpleMeterRegistry()));
            channel = new EmbeddedChannel(new SmtpFrameDecoder(BareLineEndings.REJECT), new SessionDriver(context,
                    session -> {
                        hop.events = session.events();
                        return hop;
                    }));
            // As a PROXY header would tell it: the session starts.
            channel.pipeline().fireUserEventTriggered(new ClientAddress(CLIENT));
        }

        void send(String octets) {
            channel.writeInbound(Unpooled.copiedBuffer(octets, ISO_8859_1));
            channel.runPendingTasks();
        }

        void goodbye() {
            channel.pipeline().fireUserEventTriggered(ClientSessions.GOODBYE);
        }

        /** What the client was sent since the last call. */
        String replies() {
            StringBuilder text = new StringBuilder();
            for (Object written; (written = channel.readOutbound()) != null; ) {
                ByteBuf bytes = (ByteBuf) written;
                text.append(bytes.toString(ISO_8859_1));
                bytes.release();
            }
            return text.toString();
        }
    }

    /** One rule: one message an hour, and every one after it waits the tarpit and goes on. */
    private static PolicyConfig delayingEveryMessageAfterTheFirst(Duration tarpit) {
        LimitRule once = LimitRule.of("once", RuleKey.GLOBAL, Counted.MESSAGES, new Rate(1, Duration.ofHours(1)), 1);
        return new PolicyConfig(List.of(new LimitRule(once.name(), Set.of(), once.key(), once.prefixes(), once.counts(),
                once.rate(), once.burst(), once.reply(), LimitRule.Exceeded.DELAY, tarpit, false, once.match(),
                once.except(), once.sync())), List.of());
    }

    /**
     * A next hop that answers at once (250, 354 to DATA, "250 queued" to the end of data) unless told to hold, and
     * records what it was asked.
     */
    private static final class FakeHop implements NextHop {
        final List<String> requests = new ArrayList<>();
        final ByteArrayOutputStream content = new ByteArrayOutputStream();
        final List<FinishedTransaction> finished = new ArrayList<>();
        HopSession.Events events;
        boolean holdOpen;
        boolean holdRequests;
        final CompletableFuture<ServerCapabilities> opening = new CompletableFuture<>();
        CompletableFuture<Introduction> introduction = CompletableFuture.completedFuture(new Introduction.Answered(EHLO));
        CompletableFuture<Optional<SmtpReply>> route = CompletableFuture.completedFuture(Optional.empty());
        Exception failRequests;
        // The answers held back, oldest first.
        final Deque<CompletableFuture<SmtpReply>> held = new ArrayDeque<>();
        boolean pipelining;
        int closed;

        @Override
        public CompletableFuture<ServerCapabilities> open() {
            return holdOpen ? opening : CompletableFuture.completedFuture(ServerCapabilities.fromEhlo(EHLO));
        }

        @Override
        public CompletableFuture<Introduction> introduce(String helo, boolean esmtp) {
            return introduction;
        }

        @Override
        public CompletableFuture<Optional<SmtpReply>> route(String recipient) {
            return route;
        }

        @Override
        public CompletableFuture<SmtpReply> forward(Request request) {
            if (failRequests != null) {
                Exception failure = failRequests;
                failRequests = null;
                return CompletableFuture.failedFuture(failure);
            }
            requests.add(request.line());
            if (holdRequests) {
                CompletableFuture<SmtpReply> answer = new CompletableFuture<>();
                held.addLast(answer);
                return answer;
            }
            return CompletableFuture.completedFuture(request instanceof Request.Data ? SmtpReply.START_MAIL_INPUT
                    : SmtpReply.OK);
        }

        void answerHeld(SmtpReply reply) {
            held.pollFirst().complete(reply);
        }

        /** The connection went: every answer held back fails, oldest first, as a real connection's would. */
        void loseHeld() {
            for (CompletableFuture<SmtpReply> answer; (answer = held.pollFirst()) != null; ) {
                answer.completeExceptionally(new IOException("connection to the next hop closed"));
            }
        }

        @Override
        public boolean pipelines() {
            return pipelining;
        }

        @Override
        public void writeContent(ByteBuf data) {
            content.writeBytes(data.toString(ISO_8859_1).getBytes(ISO_8859_1));
            data.release();
        }

        @Override
        public void flush() {
        }

        @Override
        public CompletableFuture<SmtpReply> endData() {
            requests.add(".");
            return CompletableFuture.completedFuture(SmtpReply.of(250, "2.0.0", "queued"));
        }

        @Override
        public void abandon() {
        }

        @Override
        public List<StructuredArgument> logFields() {
            return List.of();
        }

        @Override
        public void transactionFinished(FinishedTransaction transaction) {
            finished.add(transaction);
        }

        @Override
        public void close() {
            closed++;
        }
    }
}
