package io.sluice.proxy.session;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proxy.NightlyTries;
import io.sluice.proxy.smtp.Request;
import io.sluice.proxy.smtp.ServerCapabilities;
import io.sluice.proxy.smtp.SmtpFrame.DataOutcome;
import io.sluice.proxy.smtp.SmtpReply;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomDistribution;
import net.jqwik.api.statistics.Statistics;

/**
 * A client that pipelines, a next hop that takes pipelining and answers whenever it likes, and a policy that decides
 * whenever it likes, in random interleavings: every command gets exactly one reply, in the order of the commands,
 * each forwarded command gets the next hop's own reply to it, and every transaction opened is finished once.
 */
class PipeliningPropertiesTest {

    private static final SessionSettings SETTINGS = new SessionSettings("proxy.example", 10_000, 4, 50, false);

    private static final List<String> COMMANDS = List.of(
            "MAIL FROM:<a@example.org>", "MAIL FROM:<a@example.org>", "RCPT TO:<b@example.net>",
            "RCPT TO:<b@example.net>", "RCPT TO:<c@example.net>", "RCPT TO:<broken", "DATA", "DATA", "RSET", "NOOP",
            "HELP", "XYZZY");

    @Property(tries = 3000)
    @NightlyTries
    void repliesKeepTheCommandsOrderAndForwardedOnesAreTheNextHops(@ForAll("choices") List<Integer> choices) {
        Conversation conversation = new Conversation();
        try {
            for (int choice : choices) {
                if (!conversation.step(choice)) {
                    break;
                }
            }
            conversation.checkReplies();
            conversation.connectionClosed();
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\nafter:\n" + String.join("\n", conversation.trace), e);
        }
        Statistics.label("commands taken ahead of a reply").collect(conversation.takenAhead > 0);
        Statistics.label("commands taken ahead of a reply")
                .coverage(coverage -> coverage.check(true).percentage(p -> p >= 30));
    }

    @Provide
    Arbitrary<List<Integer>> choices() {
        return Arbitraries.integers().between(0, 9_999).withDistribution(RandomDistribution.uniform())
                .list().ofMaxSize(120).withSizeDistribution(RandomDistribution.uniform());
    }

    /** The session, and what a driver would do with its steps, with the next hop and the policy as the test says. */
    private static final class Conversation {
        private final SmtpSession session = new SmtpSession(SETTINGS, () -> 0L);
        private final List<String> trace = new ArrayList<>();
        // Every reply the client got, in order; and how many commands (the end of data counting as one) it sent.
        private final List<SmtpReply> replies = new ArrayList<>();
        private int commands;
        // The requests at the next hop, oldest first, each with the command it answers.
        private final Deque<Integer> atNextHop = new ArrayDeque<>();
        private final Deque<Request> requests = new ArrayDeque<>();
        // The reply the client must get for a command the next hop answered (or lost).
        private final Map<Integer, SmtpReply> expected = new HashMap<>();
        private boolean takesCommand;
        private boolean atPolicy;
        private boolean inData;
        private boolean closed;
        private int answers;
        private int takenAhead;
        private int opened;
        private int finished;
        // What the next hop holds, as a real server would: a transaction, and how many recipients it accepted.
        private boolean hopTransaction;
        private int hopRecipients;

        Conversation() {
            session.onConnected();
            session.onNextHopReady(ServerCapabilities.NONE);
            session.onCommandLine("EHLO client.example".getBytes(UTF_8));
            session.onIntroduced(new SmtpReply(250, List.of("hop.example", "PIPELINING")));
            takesCommand = true;
        }

        /** One event that can happen now; false once nothing can. */
        boolean step(int choice) {
            List<Runnable> possible = new ArrayList<>();
            if (takesCommand && !inData) {
                possible.add(() -> command(COMMANDS.get(choice % COMMANDS.size())));
            }
            if (inData) {
                possible.add(this::endOfData);
            }
            if (!atNextHop.isEmpty()) {
                possible.add(() -> answer(choice / 7));
                if (choice % 17 == 0) {
                    possible.add(this::loseNextHop);
                }
            }
            if (atPolicy) {
                possible.add(() -> decide(choice / 11 % 4 != 0));
            }
            if (closed || possible.isEmpty()) {
                return false;
            }
            possible.get(choice % possible.size()).run();
            takeFinished();
            return true;
        }

        private void command(String line) {
            trace.add("client: " + line);
            if (!atNextHop.isEmpty()) {
                takenAhead++;
            }
            commands++;
            takesCommand = false;
            run(session.onCommandLine(line.getBytes(UTF_8)));
        }

        private void endOfData() {
            trace.add("client: <end of data>");
            inData = false;
            commands++;
            run(session.onDataEnd(DataOutcome.COMPLETE, 100));
        }

        /** The next hop answers its oldest request, with a reply naming it. */
        private void answer(int pick) {
            int command = atNextHop.pollFirst();
            Request request = requests.pollFirst();
            String id = "id-" + answers++;
            SmtpReply reply;
            if (request instanceof Request.Mail) {
                reply = hopTransaction ? SmtpReply.of(503, "5.5.1", id) : pick % 3 == 0
                        ? SmtpReply.of(550, "5.1.8", id) : SmtpReply.of(250, "2.1.0", id);
                hopTransaction |= reply.isPositive();
                hopRecipients = 0;
            } else if (request instanceof Request.Rcpt) {
                reply = !hopTransaction ? SmtpReply.of(503, "5.5.1", id) : switch (pick % 4) {
                    case 0 -> SmtpReply.of(550, "5.1.1", id);
                    case 1 -> SmtpReply.of(451, "4.3.0", id);
                    default -> SmtpReply.of(250, "2.1.5", id);
                };
                hopRecipients += reply.isPositive() ? 1 : 0;
            } else if (request instanceof Request.Data) {
                reply = hopTransaction && hopRecipients > 0 && pick % 5 != 0 ? new SmtpReply(354, List.of(id))
                        : SmtpReply.of(554, "5.5.1", id);
            } else {
                // RSET, or the end of data: either ends the transaction.
                reply = request instanceof Request.Rset || pick % 4 != 0 ? SmtpReply.of(250, "2.0.0", id)
                        : SmtpReply.of(451, "4.3.0", id);
                hopTransaction = false;
            }
            trace.add("next hop: " + reply + " to " + request.line());
            expected.put(command, reply);
            if (request instanceof Request.Mail && reply.isPositive()) {
                opened++;
            }
            run(session.onNextHopReply(reply));
        }

        /** The connection to the next hop goes: each request it held fails, oldest first. */
        private void loseNextHop() {
            trace.add("next hop: lost");
            hopTransaction = false;
            while (!atNextHop.isEmpty() && !closed) {
                expected.put(atNextHop.pollFirst(), SmtpReply.NEXT_HOP_LOST);
                requests.pollFirst();
                run(session.onNextHopLost());
            }
        }

        private void decide(boolean admitted) {
            trace.add("policy: " + (admitted ? "admitted" : "limited"));
            atPolicy = false;
            run(admitted ? session.onAdmitted() : session.onLimited(SmtpReply.of(451, "4.7.1", "Rate limit exceeded")));
        }

        /** What the session driver does with a step. */
        private void run(Step step) {
            if (step instanceof Step.Reply reply) {
                replied(reply.reply());
                takesCommand = true;
            } else if (step instanceof Step.Relay relay) {
                replied(relay.reply());
                run(relay.then());
            } else if (step instanceof Step.Forward forward) {
                forwarded(forward.request());
                takesCommand |= session.takesCommandsAhead();
            } else if (step instanceof Step.EndData) {
                forwarded(Request.END_OF_DATA);
            } else if (step instanceof Step.ReceiveData data) {
                replied(data.reply());
                inData = true;
            } else if (step instanceof Step.AbortData abort) {
                replied(abort.reply());
                takesCommand = true;
            } else if (step instanceof Step.Admit) {
                atPolicy = true;
            } else if (step instanceof Step.Close close) {
                replied(close.reply());
                closed = true;
            } else {
                assertThat(step).isInstanceOf(Step.None.class);
            }
        }

        /** A request belongs to the command taken last: the next is taken only once this one is forwarded. */
        private void forwarded(Request request) {
            trace.add("session: forwards " + request.line());
            atNextHop.addLast(commands - 1);
            requests.addLast(request);
        }

        private void replied(SmtpReply reply) {
            trace.add("session: " + reply);
            replies.add(reply);
            assertThat(replies.size()).as("a reply with no command left to answer").isLessThanOrEqualTo(commands);
        }

        private void takeFinished() {
            session.takeFinishedTransaction().ifPresent(transaction -> finished++);
        }

        void checkReplies() {
            for (Map.Entry<Integer, SmtpReply> each : expected.entrySet()) {
                int command = each.getKey();
                if (command < replies.size()) {
                    assertThat(replies.get(command)).as("the reply to command %d", command)
                            .isEqualTo(each.getValue().withEnhancedCodes());
                }
            }
            boolean quiet = !closed && atNextHop.isEmpty() && !atPolicy && !inData;
            if (quiet) {
                assertThat(replies).as("one reply per command once nothing is under way").hasSize(commands);
            }
        }

        /** As the driver does when the channel closes: a transaction still open ends with it. */
        void connectionClosed() {
            session.onClientGone();
            takeFinished();
            assertThat(finished).as("transactions finished, of those the next hop's yes to MAIL opened")
                    .isEqualTo(opened);
        }
    }
}
