package io.sluice.proxy.session;

import static io.sluice.proxy.session.ForwardedSteps.forwarded;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proxy.NightlyTries;
import io.sluice.proxy.smtp.ServerCapabilities;
import io.sluice.proxy.smtp.SmtpFrame.DataOutcome;
import io.sluice.proxy.smtp.SmtpReply;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomDistribution;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.statistics.Statistics;

/**
 * Random conversations between a client, the session and a backend, checked against a model of what the
 * backend agreed to and what the client was told, kept apart from the session's own bookkeeping.
 */
class SmtpSessionPropertiesTest {

    private static final SessionSettings SETTINGS = new SessionSettings("proxy.example", 10_000, 3, 8, true);

    private static final List<String> COMMANDS = List.of(
            "EHLO client.example", "HELO client.example", "EHLO", "EHLO bad_name",
            "MAIL FROM:<a@example.org>", "MAIL FROM:<a@example.org>", "MAIL FROM:<>", "mail from:<a@example.org>",
            "MAIL FROM:<a@example.org> BODY=8BITMIME", "MAIL FROM:<a@example.org> SIZE=5000",
            "MAIL FROM:<a@example.org> SIZE=50000", "MAIL FROM:<a@example.org> SMTPUTF8", "MAIL FROM:<bad",
            "RCPT TO:<b@example.net>", "RCPT TO:<b@example.net>", "RCPT TO:<c@example.net>", "RCPT TO:<postmaster>",
            "RCPT TO:<>", "RCPT TO:<d@example.net> NOTIFY=NEVER",
            "DATA", "DATA", "DATA", "DATA now", "RSET", "NOOP", "STARTTLS", "VRFY b", "HELP", "EXPN list", "XYZZY", "",
            "QUIT");

    private static final List<SmtpReply> LIMIT_REPLIES = List.of(SmtpReply.of(451, "4.7.1", "Rate limit exceeded"),
            SmtpReply.of(452, "4.5.3", "Too many recipients now"), SmtpReply.of(421, "4.7.0", "Too busy"));
    private static final List<SmtpReply> BACKEND_REPLIES = List.of(
            new SmtpReply(250, List.of("2.0.0 Ok")), new SmtpReply(250, List.of("Ok")),
            new SmtpReply(354, List.of("go ahead")), new SmtpReply(451, List.of("4.3.0 try later")),
            new SmtpReply(550, List.of("no")));

    private static final List<String> EXTENSIONS = List.of("PIPELINING", "8BITMIME", "SMTPUTF8", "DSN", "STARTTLS");

    @Property(tries = 3000)
    @NightlyTries
    void randomConversationsStayWithinTheProtocol(@ForAll("choices") List<Integer> choices) {
        Conversation conversation = new Conversation();
        try {
            conversation.run(choices);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\nafter:\n" + String.join("\n", conversation.trace), e);
        }
        // The walk must get deep enough to mean something.
        for (Milestone milestone : Milestone.values()) {
            Statistics.label(milestone.name()).collect(conversation.reached.contains(milestone));
            Statistics.label(milestone.name()).coverage(coverage -> coverage.check(true).percentage(p -> p >= 1));
        }
    }

    @Property(tries = 3000)
    @NightlyTries
    void everyTransactionOpenedIsFinishedExactlyOnce(@ForAll("choices") List<Integer> choices) {
        Conversation conversation = new Conversation();
        try {
            conversation.run(choices);
            // However it went, the connection ends: as the handlers do when the channel closes.
            conversation.connectionClosed();
            assertThat(conversation.transactionOpen).as("a transaction opened and never finished").isFalse();
            assertThat(conversation.finishedTransactions).as("transactions finished")
                    .isEqualTo(conversation.openedTransactions);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\nafter:\n" + String.join("\n", conversation.trace), e);
        }
        // Enough conversations must open a transaction for the property to mean something.
        Statistics.label("opened a transaction").collect(conversation.openedTransactions > 0);
        Statistics.label("opened a transaction").coverage(coverage -> coverage.check(true).percentage(p -> p >= 20));
    }

    @Property
    @NightlyTries
    void errorLimitClosesTheSession(@ForAll @IntRange(min = 1, max = 12) int maxErrors,
                                    @ForAll("errorsAndGoodCommands") List<String> lines) {
        SmtpSession session = new SmtpSession(new SessionSettings("proxy.example", 10_000, 3, maxErrors, false), () -> 0L);
        session.onConnected();
        session.onNextHopReady(ServerCapabilities.NONE);
        int errors = 0;
        for (String line : lines) {
            Step step = session.onCommandLine(line.getBytes(UTF_8));
            if (line.equals("NOOP")) {
                assertThat(step).isEqualTo(new Step.Reply(SmtpReply.OK));
                continue;
            }
            if (++errors == maxErrors) {
                assertThat(step).isEqualTo(new Step.Close(SmtpReply.TOO_MANY_ERRORS));
                return;
            }
            assertThat(step).isInstanceOfSatisfying(Step.Reply.class, reply ->
                    assertThat(reply.reply().isPermanentFailure()).isTrue());
        }
    }

    /** One number per event, picking among the events possible at that point (uniform: jqwik favours small ones). */
    @Provide
    Arbitrary<List<Integer>> choices() {
        return Arbitraries.integers().between(0, 9_999).withDistribution(RandomDistribution.uniform())
                .list().ofMaxSize(150).withSizeDistribution(RandomDistribution.uniform());
    }

    @Provide
    Arbitrary<List<String>> errorsAndGoodCommands() {
        return Arbitraries.of("NOOP", "XYZZY", "RCPT TO:<b@example.net>", "DATA", "STARTTLS", "EHLO bad_name", "EXPN x",
                "MAIL FROM:<a@example.org>").list().ofMaxSize(30);
    }

    /** Events worth reaching in a fair share of conversations. */
    private enum Milestone { DELIVERED, LOST_IN_TRANSACTION, LOST_DURING_DATA, TLS_STARTED, CLOSED_BY_ERRORS }

    /** What the session waits for. */
    private enum Turn { CLIENT, INTRODUCTION, POLICY, BACKEND, DATA, TLS_HANDSHAKE, OVER }

    /** The commands that wait for a backend reply. */
    private enum Asked { MAIL, RCPT, DATA, RSET, END_OF_DATA }

    private static final class Conversation {
        private final SmtpSession session = new SmtpSession(SETTINGS, () -> 0L);
        private final List<String> trace = new ArrayList<>();
        private final Set<Milestone> reached = EnumSet.noneOf(Milestone.class);
        private Turn turn = Turn.CLIENT;
        private Asked asked;
        // The MAIL or RCPT command the policy is deciding on.
        private String admitting;
        private boolean esmtp;
        private boolean tlsActive;
        private int localErrors;

        // What the backend agreed to: the client's HELO, and in the transaction it holds, MAIL and RCPTs.
        private boolean heloAccepted;
        private ServerCapabilities capabilities = ServerCapabilities.NONE;
        private boolean mailAccepted;
        private int recipientsAccepted;
        private boolean lostDuringData;

        // What the client was told: its MAIL was accepted, and nothing it heard since ended the transaction.
        private boolean clientInTransaction;

        // The transactions the backend's yes to MAIL opened, and those the session reported finished; the one open
        // now, if any; and how the last event ends an open transaction, where the model knows.
        private int openedTransactions;
        private int finishedTransactions;
        private boolean transactionOpen;
        private String endsAs;

        Conversation() {
            assertThat(session.onConnected()).isEqualTo(new Step.OpenNextHop());
            assertThat(session.onNextHopReady(ServerCapabilities.NONE)).isInstanceOfSatisfying(Step.Reply.class,
                    greeting -> assertThat(greeting.reply().code()).isEqualTo(220));
        }

        /** Takes the events the choices pick, until the session is over. */
        void run(List<Integer> choices) {
            for (int choice : choices) {
                if (!step(choice)) {
                    return;
                }
            }
        }

        /** Takes one event that can happen now; false once the session is over. */
        boolean step(int choice) {
            endsAs = null;
            switch (turn) {
                case CLIENT -> client(choice);
                case INTRODUCTION -> introduction(choice);
                case POLICY -> policy(choice);
                case BACKEND -> backend(choice);
                case DATA -> data(choice);
                case TLS_HANDSHAKE -> {
                    trace.add("TLS handshake done");
                    session.onTlsStarted();
                    reached.add(Milestone.TLS_STARTED);
                    tlsActive = true;
                    heloAccepted = false;
                    turn = Turn.CLIENT;
                }
                case OVER -> { }
            }
            // What the handlers do after every event: a transaction the event finished is logged and counted.
            takeFinished();
            return turn != Turn.OVER;
        }

        /** The client's connection ended, whoever ended it. */
        void connectionClosed() {
            trace.add("connection closed");
            endsAs = "aborted";
            session.onClientGone();
            takeFinished();
        }

        /** The transaction the last event finished, checked against the transactions the backend opened. */
        private Optional<FinishedTransaction> takeFinished() {
            Optional<FinishedTransaction> finished = session.takeFinishedTransaction();
            finished.ifPresent(transaction -> {
                trace.add("   finished: " + transaction.outcome());
                assertThat(transactionOpen).as("finished a transaction that was not open: %s", transaction).isTrue();
                if (endsAs != null) {
                    assertThat(transaction.outcome()).as("outcome").isEqualTo(endsAs);
                }
                transactionOpen = false;
                finishedTransactions++;
            });
            return finished;
        }

        // Each side follows the protocol half of the time, so that conversations get as far as a delivery.
        private void client(int choice) {
            int percent = choice % 100;
            if (percent < 50) {
                command(!heloAccepted ? "EHLO client.example" : !clientInTransaction ? "MAIL FROM:<a@example.org>"
                        : recipientsAccepted == 0 ? "RCPT TO:<b@example.net>" : "DATA");
            } else if (percent < 90) {
                command(COMMANDS.get(choice / 100 % COMMANDS.size()));
            } else if (percent < 93) {
                trace.add("command too long");
                answeredLocally("", session.onCommandTooLong());
            } else if (percent < 95) {
                trace.add("NUL in command");
                answeredLocally("", session.onCommandLine(new byte[] {'N', 'O', 'O', 'P', 0}));
            } else if (percent < 98) {
                backendLost();
            } else if (percent < 99) {
                trace.add("client timeout");
                endsAs = "aborted";
                assertThat(session.onTimeout()).isEqualTo(new Step.Close(SmtpReply.TIMEOUT));
                turn = Turn.OVER;
            } else {
                trace.add("client gone");
                endsAs = "aborted";
                session.onClientGone();
                assertThat(session.inTransaction()).isFalse();
                turn = Turn.OVER;
            }
        }

        private void command(String line) {
            trace.add("C: " + line);
            Step step = session.onCommandLine(line.getBytes(UTF_8));
            trace.add("   -> " + step);
            String verb = line.split(" ", 2)[0].toUpperCase(Locale.ROOT);
            endsAs = switch (verb) {
                case "QUIT" -> "quit";
                // RFC 5321 §4.1.1.5 and §4.1.4: RSET, HELO and EHLO end the transaction.
                case "RSET", "HELO", "EHLO" -> "reset";
                default -> null;
            };
            if (step instanceof Step.Close close && !close.reply().equals(SmtpReply.BYE)) {
                endsAs = "aborted";
            }
            if (step instanceof Step.Forward forward) {
                checkForwarded(verb, line, forward);
            } else if (step instanceof Step.Admit admit) {
                assertThat(verb).isIn("MAIL", "RCPT");
                assertThat(admit.stage().name()).isEqualTo(verb);
                admitting = line;
                turn = Turn.POLICY;
            } else if (step instanceof Step.Introduce introduce) {
                assertThat(verb).isIn("EHLO", "HELO");
                assertThat(introduce).isEqualTo(new Step.Introduce(line.substring(5), verb.equals("EHLO")));
                esmtp = introduce.esmtp();
                // HELO and EHLO reset the transaction, at the backend too.
                mailAccepted = false;
                recipientsAccepted = 0;
                clientInTransaction = false;
                turn = Turn.INTRODUCTION;
            } else if (step instanceof Step.StartTls startTls) {
                assertThat(verb).isEqualTo("STARTTLS");
                assertThat(clientInTransaction).as("STARTTLS in a transaction").isFalse();
                assertThat(tlsActive).as("STARTTLS twice").isFalse();
                assertThat(startTls.reply().code()).isEqualTo(220);
                turn = Turn.TLS_HANDSHAKE;
            } else if (step instanceof Step.Close close && verb.equals("QUIT")) {
                assertThat(close.reply()).isEqualTo(SmtpReply.BYE);
                turn = Turn.OVER;
            } else {
                answeredLocally(verb, step);
            }
        }

        private void answeredLocally(String verb, Step step) {
            if (step instanceof Step.Close close) {
                assertThat(close.reply()).isEqualTo(SmtpReply.TOO_MANY_ERRORS);
                assertThat(localErrors).as("errors before the limit closed").isEqualTo(SETTINGS.maxErrors() - 1);
                reached.add(Milestone.CLOSED_BY_ERRORS);
                turn = Turn.OVER;
                return;
            }
            assertThat(step).isInstanceOf(Step.Reply.class);
            SmtpReply reply = ((Step.Reply) step).reply();
            if (reply.isPermanentFailure()) {
                localErrors++;
                assertThat(localErrors).as("errors past the limit").isLessThan(SETTINGS.maxErrors());
            }
            if (clientInTransaction && (verb.equals("RCPT") || verb.equals("DATA"))) {
                // The client would take a 503 as permanent and bounce: only a fault of its own may earn one.
                assertThat(reply.code()).as("reply to %s in the client's transaction", verb).isNotEqualTo(503);
            }
            if (verb.equals("RSET") || (verb.equals("DATA") && !reply.isPositive())) {
                clientInTransaction = false;
            }
        }

        private void checkForwarded(String verb, String line, Step.Forward forward) {
            switch (verb) {
                case "MAIL" -> {
                    assertThat(heloAccepted).as("MAIL without an accepted HELO").isTrue();
                    assertThat(mailAccepted).as("MAIL in the backend's open transaction").isFalse();
                    if (line.contains("BODY=8BITMIME")) {
                        assertThat(capabilities.eightBitMime()).as("8BITMIME offered").isTrue();
                    }
                    if (line.contains("SMTPUTF8")) {
                        assertThat(capabilities.smtpUtf8()).as("SMTPUTF8 offered").isTrue();
                    }
                    if (line.contains("SIZE=")) {
                        assertThat(Long.parseLong(line.substring(line.indexOf("SIZE=") + 5))).isLessThanOrEqualTo(advertisedSize());
                    }
                    asked = Asked.MAIL;
                }
                case "RCPT" -> {
                    assertThat(mailAccepted).as("RCPT before the backend accepted MAIL").isTrue();
                    assertThat(recipientsAccepted).as("recipients").isLessThan(SETTINGS.maxRecipients());
                    if (line.contains("NOTIFY=")) {
                        assertThat(capabilities.dsn()).as("DSN offered").isTrue();
                    }
                    asked = Asked.RCPT;
                }
                case "DATA" -> {
                    assertThat(mailAccepted && recipientsAccepted > 0).as("DATA without MAIL and RCPT accepted").isTrue();
                    assertThat(forward).isEqualTo(forwarded("DATA"));
                    asked = Asked.DATA;
                }
                case "RSET" -> {
                    assertThat(forward).isEqualTo(forwarded("RSET"));
                    asked = Asked.RSET;
                }
                default -> throw new AssertionError("forwarded " + line);
            }
            assertThat(forward).as("the command as parsed, never a line").isEqualTo(forwarded(line));
            turn = Turn.BACKEND;
        }

        // The policy admits most commands; a refusal is a tempfail that leaves the transaction as it was.
        private void policy(int choice) {
            int percent = choice % 100;
            String verb = admitting.substring(0, 4).toUpperCase(Locale.ROOT);
            if (percent < 70) {
                trace.add("policy admits");
                Step step = session.onAdmitted();
                trace.add("   -> " + step);
                if (step instanceof Step.Forward forward) {
                    checkForwarded(verb, admitting, forward);
                } else {
                    // A recipient whose backend was lost while the policy decided.
                    assertThat(verb).isEqualTo("RCPT");
                    assertThat(step).isEqualTo(new Step.Reply(SmtpReply.BACKEND_LOST));
                    turn = Turn.CLIENT;
                }
            } else if (percent < 90) {
                SmtpReply refusal = LIMIT_REPLIES.get(choice / 100 % LIMIT_REPLIES.size());
                trace.add("policy refuses: " + refusal);
                Step step = session.onLimited(refusal);
                trace.add("   -> " + step);
                if (refusal.code() == 421) {
                    assertThat(step).isEqualTo(new Step.Close(refusal));
                    turn = Turn.OVER;
                } else {
                    assertThat(step).isEqualTo(new Step.Reply(refusal));
                    turn = Turn.CLIENT;
                }
                return;
            } else {
                backendLost();
                return;
            }
            admitting = null;
        }

        private void introduction(int choice) {
            int percent = choice % 100;
            if (percent < 60) {
                SmtpReply ehlo = backendEhlo(choice / 100);
                trace.add("B: " + ehlo);
                Step step = session.onIntroduced(ehlo);
                capabilities = ServerCapabilities.fromEhlo(ehlo);
                heloAccepted = true;
                assertThat(step).isInstanceOf(Step.Reply.class);
                assertOurEhlo(((Step.Reply) step).reply());
                turn = Turn.CLIENT;
            } else if (percent < 80) {
                SmtpReply refusal = BACKEND_REPLIES.get(3 + choice / 100 % 2);
                trace.add("B: " + refusal);
                assertThat(session.onIntroduced(refusal)).isEqualTo(new Step.Reply(refusal.withEnhancedCodes()));
                heloAccepted = false;
                turn = Turn.CLIENT;
            } else if (percent < 97) {
                backendLost();
            } else {
                backendUnavailable();
            }
        }

        private void assertOurEhlo(SmtpReply reply) {
            assertThat(reply.code()).isEqualTo(250);
            if (!esmtp) {
                assertThat(reply.lines()).containsExactly(SETTINGS.hostname());
                return;
            }
            List<String> lines = reply.lines();
            assertThat(lines).contains("PIPELINING", "ENHANCEDSTATUSCODES", "SIZE " + advertisedSize());
            assertThat(lines.contains("8BITMIME")).isEqualTo(capabilities.eightBitMime());
            assertThat(lines.contains("SMTPUTF8")).isEqualTo(capabilities.smtpUtf8());
            assertThat(lines.contains("STARTTLS")).isEqualTo(!tlsActive);
        }

        private void backend(int choice) {
            int percent = choice % 100;
            if (percent >= 98) {
                backendUnavailable();
                return;
            } else if (percent >= 92) {
                backendLost();
                return;
            }
            SmtpReply reply = percent < 50 ? BACKEND_REPLIES.get(asked == Asked.DATA ? 2 : 0)
                    : BACKEND_REPLIES.get(choice / 100 % BACKEND_REPLIES.size());
            trace.add("B: " + reply + " to " + asked);
            endsAs = asked == Asked.RSET ? "reset" : null;
            Step step = session.onNextHopReply(reply);
            trace.add("   -> " + step);
            turn = Turn.CLIENT;
            if (asked == Asked.DATA && reply.code() == 354) {
                assertThat(step).isEqualTo(new Step.ReceiveData(reply, advertisedSize()));
                lostDuringData = false;
                turn = Turn.DATA;
                return;
            }
            if (asked == Asked.DATA && reply.isPositive()) {
                // A yes to DATA that is not 354 would make the client send its content as commands.
                assertThat(step).isEqualTo(new Step.AbortData(SmtpReply.BACKEND_LOST));
                transactionOver();
                return;
            }
            // Anything else is relayed as it is, with an enhanced code where it lacks one.
            assertThat(step).isEqualTo(new Step.Reply(reply.withEnhancedCodes()));
            switch (asked) {
                case MAIL -> {
                    mailAccepted = reply.isPositive();
                    clientInTransaction = reply.isPositive();
                    if (reply.isPositive()) {
                        assertThat(transactionOpen).as("a transaction opened inside another").isFalse();
                        transactionOpen = true;
                        openedTransactions++;
                    }
                }
                case RCPT -> recipientsAccepted += reply.isPositive() ? 1 : 0;
                case DATA -> clientInTransaction = false;
                case RSET -> transactionOver();
                case END_OF_DATA -> {
                    FinishedTransaction finished = takeFinished().orElseThrow();
                    assertThat(finished.reply()).isEqualTo(reply.code());
                    assertThat(finished.outcome()).isEqualTo(reply.code() == 250 ? "delivered" : "rejected");
                    if (reply.code() == 250) {
                        reached.add(Milestone.DELIVERED);
                    }
                    transactionOver();
                }
            }
        }

        private void data(int choice) {
            int percent = choice % 100;
            if (percent >= 80) {
                backendLost();
                return;
            }
            DataOutcome outcome = percent < 50 ? DataOutcome.COMPLETE : DataOutcome.values()[1 + percent % 3];
            trace.add("C: <message> " + outcome);
            Step step = session.onDataEnd(outcome, 100);
            trace.add("   -> " + step);
            Optional<FinishedTransaction> finished = takeFinished();
            if (lostDuringData) {
                // Never a 250 the backend did not give.
                assertThat(step).isEqualTo(new Step.Reply(SmtpReply.BACKEND_LOST));
                assertThat(finished.orElseThrow().outcome()).isEqualTo("failed");
                transactionOver();
                turn = Turn.CLIENT;
            } else if (outcome == DataOutcome.COMPLETE) {
                assertThat(step).isEqualTo(new Step.EndData());
                asked = Asked.END_OF_DATA;
                turn = Turn.BACKEND;
            } else {
                assertThat(step).isInstanceOfSatisfying(Step.AbortData.class, abort ->
                        assertThat(abort.reply().isPermanentFailure()).isTrue());
                assertThat(finished.orElseThrow().outcome()).isEqualTo("rejected");
                transactionOver();
                turn = Turn.CLIENT;
            }
        }

        private void backendLost() {
            trace.add("backend lost");
            if (clientInTransaction) {
                reached.add(Milestone.LOST_IN_TRANSACTION);
            }
            Step step = session.onNextHopLost();
            trace.add("   -> " + step);
            switch (turn) {
                case INTRODUCTION -> {
                    assertThat(step).isEqualTo(new Step.Close(SmtpReply.BACKEND_UNAVAILABLE));
                    turn = Turn.OVER;
                }
                case BACKEND -> {
                    assertThat(step).isEqualTo(new Step.Reply(SmtpReply.BACKEND_LOST));
                    if (asked == Asked.END_OF_DATA) {
                        assertThat(takeFinished().orElseThrow().outcome()).isEqualTo("failed");
                    }
                    if (asked != Asked.RCPT) {
                        clientInTransaction = false;
                    }
                    turn = Turn.CLIENT;
                }
                case DATA -> {
                    assertThat(step).isEqualTo(new Step.None());
                    lostDuringData = true;
                    reached.add(Milestone.LOST_DURING_DATA);
                }
                default -> assertThat(step).isEqualTo(new Step.None());
            }
            // A new backend, if one is needed, is introduced by the transport and holds no transaction.
            mailAccepted = false;
            recipientsAccepted = 0;
        }

        private void backendUnavailable() {
            trace.add("no backend reachable");
            assertThat(session.onNextHopUnavailable()).isEqualTo(new Step.Close(SmtpReply.BACKEND_UNAVAILABLE));
            turn = Turn.OVER;
        }

        private void transactionOver() {
            mailAccepted = false;
            recipientsAccepted = 0;
            clientInTransaction = false;
        }

        private long advertisedSize() {
            long backendLimit = capabilities.maxMessageSize();
            return backendLimit > 0 ? Math.min(backendLimit, SETTINGS.maxMessageSize()) : SETTINGS.maxMessageSize();
        }

        /** An EHLO reply offering the extensions the bits of {@code choice} select. */
        private static SmtpReply backendEhlo(int choice) {
            List<String> lines = new ArrayList<>(List.of("backend.example"));
            for (int i = 0; i < EXTENSIONS.size(); i++) {
                if ((choice >> i & 1) == 1) {
                    lines.add(EXTENSIONS.get(i));
                }
            }
            switch (choice >> EXTENSIONS.size() & 3) {
                case 1 -> lines.add("SIZE 5000");
                case 2 -> lines.add("SIZE 0");
                default -> { }
            }
            return new SmtpReply(250, lines);
        }
    }
}
