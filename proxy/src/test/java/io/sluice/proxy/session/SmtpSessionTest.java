package io.sluice.proxy.session;

import static io.sluice.proxy.session.ForwardedSteps.forwarded;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proxy.session.SmtpSession.State;
import io.sluice.proxy.smtp.ServerCapabilities;
import io.sluice.proxy.smtp.SmtpFrame.DataOutcome;
import io.sluice.proxy.smtp.SmtpReply;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SmtpSessionTest {

    private static final SessionSettings SETTINGS = new SessionSettings("proxy.example", 10_000, 3, 5, true);
    private static final SmtpReply OK = new SmtpReply(250, List.of("2.0.0 Ok"));
    private static final SmtpReply GO_AHEAD = new SmtpReply(354, List.of("End data with <CR><LF>.<CR><LF>"));
    private static final String MAIL = "MAIL FROM:<a@example.org>";
    private static final String RCPT = "RCPT TO:<b@example.net>";

    private SmtpSession session = new SmtpSession(SETTINGS, () -> 0L);

    @Test
    void greetsOnceTheBackendIsReady() {
        assertThat(session.onConnected()).isEqualTo(new Step.OpenNextHop());
        assertThat(session.state()).isEqualTo(State.CONNECTING);

        // No enhanced code: ENHANCEDSTATUSCODES is not negotiated before EHLO (RFC 2034 §3).
        assertThat(session.onNextHopReady(ServerCapabilities.NONE))
                .isEqualTo(new Step.Reply(new SmtpReply(220, List.of("proxy.example ESMTP"))));
        assertThat(session.state()).isEqualTo(State.GREETED);
    }

    @Test
    void ehloIsRepeatedToTheBackendAndAnsweredWithWhatBothSidesCanDo() {
        greeted();

        assertThat(send("EHLO client.example")).isEqualTo(new Step.Introduce("client.example", true));
        SmtpReply reply = replied(session.onIntroduced(
                ehlo("PIPELINING", "SIZE 5000", "8BITMIME", "SMTPUTF8", "DSN", "STARTTLS", "AUTH PLAIN")));

        assertThat(reply).isEqualTo(new SmtpReply(250, List.of("proxy.example", "PIPELINING", "SIZE 5000", "8BITMIME",
                "ENHANCEDSTATUSCODES", "SMTPUTF8", "DSN", "STARTTLS")));
        assertThat(session.state()).isEqualTo(State.READY);
        assertThat(session.helo()).isEqualTo("client.example");
        assertThat(session.esmtp()).isTrue();
    }

    @Test
    void ehloOffersNoExtensionTheBackendLacks() {
        assertThat(introduced().lines())
                .containsExactly("proxy.example", "PIPELINING", "SIZE 10000", "ENHANCEDSTATUSCODES", "STARTTLS");
    }

    @ParameterizedTest
    @CsvSource({"SIZE 5000, 5000", "SIZE 20000, 10000", "SIZE 0, 10000", "SIZE, 10000", "NOOP, 10000"})
    void advertisedSizeIsTheSmallerLimit(String backendKeyword, long advertised) {
        assertThat(introduced(backendKeyword).lines()).contains("SIZE " + advertised);
    }

    @Test
    void startTlsIsNotOfferedWithoutACertificate() {
        session = new SmtpSession(new SessionSettings("proxy.example", 10_000, 3, 5, false), () -> 0L);

        assertThat(introduced("STARTTLS").lines()).doesNotContain("STARTTLS");
        assertThat(replyTo("STARTTLS").code()).isEqualTo(502);
    }

    @Test
    void heloGetsAPlainReply() {
        greeted();

        assertThat(send("HELO client.example")).isEqualTo(new Step.Introduce("client.example", false));
        assertThat(session.onIntroduced(ehlo("PIPELINING", "8BITMIME")))
                .isEqualTo(new Step.Reply(new SmtpReply(250, List.of("proxy.example"))));
        assertThat(session.esmtp()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"EHLO", "EHLO bad_name", "EHLO client.example extra", "HELO [192.0.2.1"})
    void invalidHeloNameIsRefusedHere(String line) {
        greeted();

        assertThat(replyTo(line)).isEqualTo(SmtpReply.of(501, "5.5.4", "Syntax: " + line.substring(0, 4) + " hostname"));
    }

    @Test
    void helloRefusedByTheBackendIsTheClientsAnswerAndLeavesItWithoutOne() {
        introduced();
        assertThat(send("EHLO other.example")).isInstanceOf(Step.Introduce.class);

        assertThat(replied(session.onIntroduced(new SmtpReply(550, List.of("go away")))))
                .isEqualTo(new SmtpReply(550, List.of("5.0.0 go away")));
        assertThat(session.helo()).isNull();
        assertThat(session.state()).isEqualTo(State.GREETED);
        // Without a HELO name a replacement backend could not be introduced, so no mail without one.
        assertThat(replyTo(MAIL)).isEqualTo(SmtpReply.SEND_HELO_FIRST);
    }

    @Test
    void ehloAnsweredFromAKeptConnectionIsAnsweredLikeTheBackendsOwn() {
        greeted();
        assertThat(send("EHLO client.example")).isInstanceOf(Step.Introduce.class);

        ServerCapabilities known = ServerCapabilities.fromEhlo(ehlo("SIZE 5000", "8BITMIME"));
        assertThat(replied(session.onIntroducedAs(known)).lines())
                .containsExactly("proxy.example", "PIPELINING", "SIZE 5000", "8BITMIME", "ENHANCEDSTATUSCODES",
                        "STARTTLS");
        assertThat(session.state()).isEqualTo(State.READY);
        assertThat(session.helo()).isEqualTo("client.example");
    }

    @Test
    void ehloTheBackendRefusesAfterAnEarlyAnswerRefusesTheCommandThatWaitedAndLeavesTheClientWithoutOne() {
        greeted();
        send("EHLO client.example");
        session.onIntroducedAs(ServerCapabilities.fromEhlo(ehlo("PIPELINING")));
        assertThat(send(MAIL)).isInstanceOf(Step.Forward.class);

        SmtpReply refusal = new SmtpReply(550, List.of("5.7.1 <client.example>: Helo command rejected"));
        assertThat(replied(session.onIntroductionRefused(refusal))).isEqualTo(refusal);
        assertThat(session.helo()).isNull();
        assertThat(session.state()).isEqualTo(State.GREETED);
        assertThat(session.takeFinishedTransaction()).isEmpty();
        assertThat(replyTo(MAIL)).isEqualTo(SmtpReply.SEND_HELO_FIRST);
    }

    @Test
    void mailBeforeEhloIsOutOfSequence() {
        greeted();

        assertThat(replyTo(MAIL)).isEqualTo(SmtpReply.SEND_HELO_FIRST);
    }

    @Test
    void commandsOutOfOrderAreOutOfSequence() {
        introduced();
        assertThat(replyTo(RCPT)).isEqualTo(SmtpReply.NEED_MAIL);
        assertThat(replyTo("DATA")).isEqualTo(SmtpReply.NEED_RCPT);

        mailAccepted();
        assertThat(replyTo(MAIL)).isEqualTo(SmtpReply.NESTED_MAIL);
        assertThat(replyTo("DATA")).isEqualTo(SmtpReply.of(554, "5.5.1", "No valid recipients"));
    }

    @Test
    void mailAndRcptAskThePolicyBeforeTheBackend() {
        introduced();

        assertThat(session.onCommandLine((MAIL + " SIZE=100").getBytes(UTF_8)))
                .isEqualTo(new Step.Admit(Step.AdmitStage.MAIL, "a@example.org", 100));
        assertThat(session.onAdmitted()).isEqualTo(forwarded(MAIL + " SIZE=100"));
        session.onNextHopReply(OK);
        assertThat(session.onCommandLine(RCPT.getBytes(UTF_8)))
                .isEqualTo(new Step.Admit(Step.AdmitStage.RCPT, "b@example.net", 0));
    }

    @Test
    void limitedMailLeavesNoTransaction() {
        introduced();
        SmtpReply busy = SmtpReply.of(451, "4.7.1", "Rate limit exceeded");

        session.onCommandLine(MAIL.getBytes(UTF_8));
        assertThat(session.onLimited(busy)).isEqualTo(new Step.Reply(busy));
        assertThat(session.state()).isEqualTo(State.READY);
        assertThat(session.inTransaction()).isFalse();
        assertThat(replyTo(RCPT)).isEqualTo(SmtpReply.NEED_MAIL);
    }

    @Test
    void limitedRecipientKeepsTheTransaction() {
        introduced();
        mailAccepted();
        SmtpReply later = SmtpReply.of(452, "4.5.3", "Too many recipients now");

        session.onCommandLine(RCPT.getBytes(UTF_8));
        assertThat(session.onLimited(later)).isEqualTo(new Step.Reply(later));
        assertThat(session.state()).isEqualTo(State.MAIL);
        assertThat(send(RCPT)).isEqualTo(forwarded(RCPT));
    }

    @Test
    void limitWith421ClosesTheSession() {
        introduced();
        SmtpReply closing = SmtpReply.of(421, "4.7.0", "Too busy");

        session.onCommandLine(MAIL.getBytes(UTF_8));
        assertThat(session.onLimited(closing)).isEqualTo(new Step.Close(closing));
        assertThat(session.state()).isEqualTo(State.CLOSED);
    }

    @Test
    void recipientAdmittedAfterItsBackendWasLostIsTempfailed() {
        introduced();
        mailAccepted();

        session.onCommandLine(RCPT.getBytes(UTF_8));
        assertThat(session.onNextHopLost()).isEqualTo(new Step.None());
        assertThat(session.onAdmitted()).isEqualTo(new Step.Reply(SmtpReply.BACKEND_LOST));
    }

    @Test
    void connectionLimitClosesBeforeTheGreeting() {
        SmtpReply refusal = SmtpReply.of(421, "4.7.0", "Too many connections");

        assertThat(session.onConnectionLimited(refusal)).isEqualTo(new Step.Close(refusal));
        assertThat(session.state()).isEqualTo(State.CLOSED);
    }

    @Test
    void transactionCommandsAreForwardedOneByOne() {
        introduced();

        assertThat(send(MAIL + " SIZE=100")).isEqualTo(forwarded(MAIL + " SIZE=100"));
        assertThat(session.onNextHopReply(OK)).isEqualTo(new Step.Reply(OK));
        assertThat(session.state()).isEqualTo(State.MAIL);
        assertThat(send(RCPT)).isEqualTo(forwarded(RCPT));
        assertThat(session.onNextHopReply(OK)).isEqualTo(new Step.Reply(OK));
        assertThat(session.state()).isEqualTo(State.RCPT);
        assertThat(send("DATA")).isEqualTo(forwarded("DATA"));
        assertThat(session.onNextHopReply(GO_AHEAD)).isEqualTo(new Step.ReceiveData(GO_AHEAD, 10_000));
        assertThat(session.state()).isEqualTo(State.DATA);
    }

    @Test
    void backendRefusalIsRelayedWithAnEnhancedCode() {
        introduced();
        send(MAIL);

        assertThat(session.onNextHopReply(new SmtpReply(550, List.of("sender refused"))))
                .isEqualTo(new Step.Reply(new SmtpReply(550, List.of("5.0.0 sender refused"))));
        assertThat(session.state()).isEqualTo(State.READY);
        assertThat(replyTo(RCPT)).isEqualTo(SmtpReply.NEED_MAIL);
    }

    @Test
    void eightBitBodyIsRefusedWhenTheBackendCannotTakeIt() {
        introduced();

        assertThat(replyTo(MAIL + " BODY=8BITMIME")).isEqualTo(SmtpReply.of(555, "5.5.4", "Unsupported parameter: BODY"));
    }

    @Test
    void eightBitBodyIsForwardedWhenTheBackendTakesIt() {
        introduced("8BITMIME");

        assertThat(send(MAIL + " BODY=8BITMIME")).isInstanceOf(Step.Forward.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"SMTPUTF8", "RET=FULL", "ENVID=x", "AUTH=<>", "BODY=BINARYMIME", "SIZE=123456789012345678901",
        "SIZE=12a"})
    void parametersTheBackendCannotHonourAreRefused(String parameter) {
        introduced();

        assertThat(replyTo(MAIL + " " + parameter).code()).isEqualTo(555);
    }

    @Test
    void declaredSizeOverTheLimitIsRefusedBeforeAnyData() {
        introduced("SIZE 5000");

        // RFC 1870 §6
        assertThat(replyTo(MAIL + " SIZE=5001")).isEqualTo(SmtpReply.MESSAGE_TOO_BIG);
        // RFC 1870 §3 allows 20 digits, more than a long holds: still a size, and over the limit.
        assertThat(replyTo(MAIL + " SIZE=99999999999999999999")).isEqualTo(SmtpReply.MESSAGE_TOO_BIG);
        assertThat(replyTo(MAIL + " SIZE=1000000000000000000")).isEqualTo(SmtpReply.MESSAGE_TOO_BIG);
        assertThat(send(MAIL + " SIZE=5000")).isInstanceOf(Step.Forward.class);
    }

    @Test
    void messageIsAcceptedOnlyWithTheBackendsFinalReply() {
        receivingData();

        assertThat(session.onDataEnd(DataOutcome.COMPLETE, 1234)).isEqualTo(new Step.EndData());
        SmtpReply queued = new SmtpReply(250, List.of("2.0.0 Ok: queued as 4F"));
        assertThat(session.onNextHopReply(queued)).isEqualTo(new Step.Reply(queued));

        assertThat(session.state()).isEqualTo(State.READY);
        FinishedTransaction transaction = finished();
        assertThat(transaction.outcome()).isEqualTo("delivered");
        assertThat(transaction.size()).isEqualTo(1234);
    }

    @Test
    void backendRefusalOfTheMessageIsRelayed() {
        receivingData();
        session.onDataEnd(DataOutcome.COMPLETE, 10);

        assertThat(replied(session.onNextHopReply(new SmtpReply(554, List.of("5.7.1 spam"))))).satisfies(reply ->
                assertThat(reply.code()).isEqualTo(554));
        assertThat(finished().outcome()).isEqualTo("rejected");
    }

    @Test
    void backendLostAwaitingTheFinalReplyIsATempfailNeverA250() {
        receivingData();
        session.onDataEnd(DataOutcome.COMPLETE, 10);

        assertThat(session.onNextHopLost()).isEqualTo(new Step.Reply(SmtpReply.BACKEND_LOST));
        assertThat(SmtpReply.BACKEND_LOST.code()).isEqualTo(451);
        assertThat(SmtpReply.BACKEND_LOST.lines().get(0)).startsWith("4.4.2 ");
        assertThat(finished().outcome()).isEqualTo("failed");
    }

    @Test
    void backendLostDuringDataIsToldAfterTheFinalDot() {
        receivingData();

        assertThat(session.onNextHopLost()).isEqualTo(new Step.None());
        assertThat(session.state()).as("the content is still read to its end").isEqualTo(State.DATA);

        assertThat(session.onDataEnd(DataOutcome.COMPLETE, 10)).isEqualTo(new Step.Reply(SmtpReply.BACKEND_LOST));
        assertThat(session.state()).isEqualTo(State.READY);
        assertThat(finished().outcome()).isEqualTo("failed");
    }

    @ParameterizedTest
    @CsvSource({"BARE_LINE_ENDING, 550, 5.5.2", "LINE_TOO_LONG, 550, 5.5.2", "TOO_BIG, 552, 5.3.4"})
    void unfitContentAbortsTheMessageAtTheBackend(DataOutcome outcome, int code, String enhanced) {
        receivingData();

        Step step = session.onDataEnd(outcome, 10);

        assertThat(step).isInstanceOfSatisfying(Step.AbortData.class, abort -> {
            assertThat(abort.reply().code()).isEqualTo(code);
            assertThat(abort.reply().lines().get(0)).startsWith(enhanced + " ");
        });
        assertThat(finished().outcome()).isEqualTo("rejected");
        assertThat(session.state()).isEqualTo(State.READY);
    }

    @Test
    void recipientsOverTheLimitAreDeferredWithoutCountingAsErrors() {
        mailAccepted();
        for (int i = 0; i < SETTINGS.maxRecipients(); i++) {
            rcptAccepted();
        }

        // RFC 5321 §4.5.3.1.10
        for (int i = 0; i < SETTINGS.maxErrors() + 1; i++) {
            assertThat(send(RCPT)).isEqualTo(new Step.Reply(SmtpReply.TOO_MANY_RECIPIENTS));
        }
        assertThat(SmtpReply.TOO_MANY_RECIPIENTS.code()).isEqualTo(452);
        assertThat(SmtpReply.TOO_MANY_RECIPIENTS.lines().get(0)).startsWith("4.5.3 ");
    }

    @Test
    void recipientRefusedByTheBackendDoesNotCountTowardsTheLimit() {
        mailAccepted();
        send(RCPT);
        session.onNextHopReply(new SmtpReply(550, List.of("5.1.1 unknown")));
        for (int i = 0; i < SETTINGS.maxRecipients(); i++) {
            rcptAccepted();
        }

        assertThat(replyTo(RCPT)).isEqualTo(SmtpReply.TOO_MANY_RECIPIENTS);
    }

    @Test
    void startTlsInsideATransactionIsOutOfSequence() {
        mailAccepted();

        assertThat(replyTo("STARTTLS")).isEqualTo(SmtpReply.BAD_SEQUENCE);
    }

    @Test
    void afterTlsStartsTheClientMustSayEhloAgain() {
        introduced();

        assertThat(send("STARTTLS")).isEqualTo(new Step.StartTls(SmtpReply.READY_TO_START_TLS));
        session.onTlsStarted();

        // RFC 3207 §4.2
        assertThat(session.state()).isEqualTo(State.GREETED);
        assertThat(session.helo()).isNull();
        assertThat(replyTo(MAIL)).isEqualTo(SmtpReply.SEND_HELO_FIRST);
        assertThat(send("EHLO client.example")).isEqualTo(new Step.Introduce("client.example", true));
        assertThat(replied(session.onIntroduced(ehlo("STARTTLS"))).lines()).doesNotContain("STARTTLS");
        assertThat(replyTo("STARTTLS")).isEqualTo(SmtpReply.BAD_SEQUENCE);
    }

    @Test
    void errorLimitClosesTheSession() {
        introduced();
        for (int i = 1; i < SETTINGS.maxErrors(); i++) {
            assertThat(replyTo("XYZZY")).isEqualTo(SmtpReply.SYNTAX_ERROR);
            assertThat(replyTo("NOOP")).as("a good command does not undo errors").isEqualTo(SmtpReply.OK);
        }

        assertThat(send("XYZZY")).isEqualTo(new Step.Close(SmtpReply.TOO_MANY_ERRORS));
        assertThat(session.state()).isEqualTo(State.CLOSED);
    }

    @Test
    void transactionLimitCountsEveryMailAndClosesTheSessionOverIt() {
        session = new SmtpSession(new SessionSettings("proxy.example", 10_000, 3, 20, 4, true), () -> 0L);
        introduced();
        // Malformed, refused by the policy, refused by the backend, accepted: each one counts.
        assertThat(replyTo("MAIL FROM:<a@example.org> SIZE=many").code()).isEqualTo(555);
        SmtpReply busy = SmtpReply.of(451, "4.7.1", "Busy");
        assertThat(session.onCommandLine(MAIL.getBytes(UTF_8))).isInstanceOf(Step.Admit.class);
        assertThat(session.onLimited(busy)).isEqualTo(new Step.Reply(busy));
        assertThat(send(MAIL)).isInstanceOf(Step.Forward.class);
        session.onNextHopReply(SmtpReply.of(550, "5.7.1", "Sender refused"));
        assertThat(send(MAIL)).isInstanceOf(Step.Forward.class);
        session.onNextHopReply(OK);

        // The fifth, in the middle of the open transaction, which goes with the session.
        assertThat(send("MAIL FROM:<b@example.org>")).isEqualTo(new Step.Close(SmtpReply.TOO_MANY_TRANSACTIONS));
        assertThat(finished().outcome()).isEqualTo("aborted");
        assertThat(session.state()).isEqualTo(State.CLOSED);
    }

    @Test
    void errorLimitCountsEveryKindOfError() {
        introduced();
        send("EXPN list");
        session.onCommandTooLong();
        session.onCommandLine(new byte[] {'N', 'O', 'O', 'P', 0});
        send(RCPT);

        assertThat(send("EHLO bad_name")).isEqualTo(new Step.Close(SmtpReply.TOO_MANY_ERRORS));
    }

    @Test
    void simpleCommandsAreAnsweredHere() {
        introduced();

        assertThat(replyTo("NOOP")).isEqualTo(SmtpReply.OK);
        assertThat(replyTo("RSET")).as("no transaction to reset at the backend").isEqualTo(SmtpReply.OK);
        assertThat(replyTo("VRFY b").code()).isEqualTo(252);
        assertThat(replyTo("HELP").code()).isEqualTo(214);
    }

    @Test
    void unsupportedAndMalformedCommandsAreErrors() {
        introduced();

        assertThat(replyTo("BDAT 10 LAST")).isEqualTo(SmtpReply.NOT_IMPLEMENTED);
        assertThat(replyTo("XYZZY")).isEqualTo(SmtpReply.SYNTAX_ERROR);
        assertThat(replied(session.onCommandLine(new byte[] {'N', 'O', 'O', 'P', ' ', (byte) 0xc3})))
                .isEqualTo(SmtpReply.SYNTAX_ERROR);
        assertThat(replied(session.onCommandTooLong())).isEqualTo(SmtpReply.LINE_TOO_LONG);
    }

    @Test
    void rsetInATransactionIsForwardedAndEndsIt() {
        mailAccepted();

        assertThat(send("RSET")).isEqualTo(forwarded("RSET"));
        assertThat(session.takeFinishedTransaction()).as("not before the backend has reset its half").isEmpty();
        assertThat(session.onNextHopReply(OK)).isEqualTo(new Step.Reply(OK));
        assertThat(session.state()).isEqualTo(State.READY);
        assertThat(session.inTransaction()).isFalse();
        assertThat(session.takeFinishedTransaction()).contains(new FinishedTransaction("example.org", 0, 0, "reset", 0, 0));
        assertThat(session.takeFinishedTransaction()).isEmpty();
    }

    /** What Postfix does when every recipient is refused: RSET, and the next message on the same connection. */
    @Test
    void everyTransactionEndedByRsetAfterARefusedRecipientIsFinishedOnce() {
        introduced();
        List<FinishedTransaction> transactions = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            assertThat(send(MAIL)).isInstanceOf(Step.Forward.class);
            session.onNextHopReply(OK);
            if (i % 2 == 0) {
                assertThat(send(RCPT)).isInstanceOf(Step.Forward.class);
                assertThat(replied(session.onNextHopReply(SmtpReply.of(550, "5.7.1", "Relaying denied"))).code())
                        .isEqualTo(550);
            } else {
                assertThat(session.onCommandLine(RCPT.getBytes(UTF_8))).isInstanceOf(Step.Admit.class);
                session.onLimited(SmtpReply.of(450, "4.7.1", "Slow down"));
            }
            assertThat(send("RSET")).isInstanceOf(Step.Forward.class);
            session.onNextHopReply(OK);
            session.takeFinishedTransaction().ifPresent(transactions::add);
        }

        assertThat(transactions).hasSize(10).allSatisfy(transaction ->
                assertThat(transaction).isEqualTo(new FinishedTransaction("example.org", 0, 0, "reset", 0, 0)));
    }

    @Test
    void rsetWithoutAnOpenTransactionFinishesNone() {
        introduced();
        assertThat(replyTo("RSET")).isEqualTo(SmtpReply.OK);
        // A MAIL refused, by the backend or by the policy, opens no transaction.
        send(MAIL);
        session.onNextHopReply(SmtpReply.of(550, "5.1.8", "Sender refused"));
        assertThat(replyTo("RSET")).isEqualTo(SmtpReply.OK);
        assertThat(session.onCommandLine(MAIL.getBytes(UTF_8))).isInstanceOf(Step.Admit.class);
        session.onLimited(SmtpReply.of(451, "4.7.1", "Busy"));
        assertThat(replyTo("RSET")).isEqualTo(SmtpReply.OK);

        assertThat(session.takeFinishedTransaction()).isEmpty();
    }

    @Test
    void sessionWithoutATransactionFinishesNone() {
        introduced();
        send("EHLO client.example");
        session.onIntroduced(ehlo());
        assertThat(send("QUIT")).isEqualTo(new Step.Close(SmtpReply.BYE));
        session.onClientGone();

        assertThat(session.takeFinishedTransaction()).isEmpty();
    }

    @Test
    void ehloInATransactionResetsIt() {
        mailAccepted();

        assertThat(send("EHLO client.example")).isInstanceOf(Step.Introduce.class);
        assertThat(session.inTransaction()).isFalse();
        assertThat(finished().outcome()).isEqualTo("reset");
    }

    @Test
    void quitClosesAndEndsTheTransaction() {
        mailAccepted();
        rcptAccepted();

        assertThat(send("QUIT")).isEqualTo(new Step.Close(SmtpReply.BYE));
        assertThat(session.takeFinishedTransaction()).contains(new FinishedTransaction("example.org", 1, 0, "quit", 0, 0));
        assertThat(session.state()).isEqualTo(State.CLOSED);
    }

    @Test
    void clientGoneAbortsTheTransaction() {
        mailAccepted();

        session.onClientGone();

        assertThat(finished().outcome()).isEqualTo("aborted");
    }

    @Test
    void aClosingRefusalFromThePolicyAbortsTheTransaction() {
        mailAccepted();
        rcptAccepted();
        SmtpReply busy = SmtpReply.of(421, "4.7.0", "Too busy");
        assertThat(session.onCommandLine("RCPT TO:<c@example.net>".getBytes(UTF_8))).isInstanceOf(Step.Admit.class);

        assertThat(session.onLimited(busy)).isEqualTo(new Step.Close(busy));

        assertThat(session.takeFinishedTransaction()).contains(new FinishedTransaction("example.org", 1, 0, "aborted", 0, 0));
    }

    @Test
    void noBackendForAnOpenTransactionAbortsIt() {
        mailAccepted();

        assertThat(session.onNextHopUnavailable()).isEqualTo(new Step.Close(SmtpReply.BACKEND_UNAVAILABLE));

        assertThat(finished().outcome()).isEqualTo("aborted");
    }

    @Test
    void backendLostDuringTheIntroductionClosesTheSession() {
        greeted();
        send("EHLO client.example");

        assertThat(session.onNextHopLost()).isEqualTo(new Step.Close(SmtpReply.BACKEND_UNAVAILABLE));
    }

    @Test
    void backendLostAwaitingTheReplyToMailFailsIt() {
        introduced();
        send(MAIL);

        assertThat(session.onNextHopLost()).isEqualTo(new Step.Reply(SmtpReply.BACKEND_LOST));
        assertThat(session.state()).isEqualTo(State.READY);
        assertThat(session.takeFinishedTransaction()).as("no transaction was open yet").isEmpty();
    }

    @Test
    void backendLostAwaitingTheReplyToRcptDefersTheRestOfTheTransaction() {
        mailAccepted();
        rcptAccepted();
        send("RCPT TO:<c@example.net>");

        assertThat(session.onNextHopLost()).isEqualTo(new Step.Reply(SmtpReply.BACKEND_LOST));
        // Pipelined after it: a 503 would make the client bounce these recipients for a fault of ours.
        assertThat(send("RCPT TO:<d@example.net>")).isEqualTo(new Step.Reply(SmtpReply.BACKEND_LOST));
        assertThat(send("DATA")).isEqualTo(new Step.Reply(SmtpReply.BACKEND_LOST));
        assertThat(finished().outcome()).isEqualTo("failed");
        assertThat(send(MAIL)).as("the next transaction").isInstanceOf(Step.Forward.class);
    }

    @Test
    void backendLostBetweenCommandsDefersTheTransaction() {
        mailAccepted();

        assertThat(session.onNextHopLost()).isEqualTo(new Step.None());

        assertThat(send(RCPT)).isEqualTo(new Step.Reply(SmtpReply.BACKEND_LOST));
        assertThat(send("RSET")).as("nothing left to reset at the backend").isEqualTo(new Step.Reply(SmtpReply.OK));
        assertThat(finished().outcome()).isEqualTo("reset");
        assertThat(send(MAIL)).as("a new transaction").isInstanceOf(Step.Forward.class);
    }

    @Test
    void backendLostAwaitingTheReplyToRsetStillEndsTheTransaction() {
        mailAccepted();
        send("RSET");

        assertThat(session.onNextHopLost()).isEqualTo(new Step.Reply(SmtpReply.BACKEND_LOST));
        assertThat(finished().outcome()).isEqualTo("reset");
        assertThat(session.state()).isEqualTo(State.READY);
    }

    @Test
    void backendLostAwaitingTheReplyToDataFailsTheTransaction() {
        mailAccepted();
        rcptAccepted();
        send("DATA");

        assertThat(session.onNextHopLost()).isEqualTo(new Step.Reply(SmtpReply.BACKEND_LOST));
        assertThat(session.takeFinishedTransaction())
                .contains(new FinishedTransaction("example.org", 1, 0, "failed", SmtpReply.BACKEND_LOST.code(), 0));
    }

    @Test
    void backendSayingYesToDataWithoutGoAheadFailsTheTransaction() {
        mailAccepted();
        rcptAccepted();
        send("DATA");

        assertThat(session.onNextHopReply(OK)).isEqualTo(new Step.AbortData(SmtpReply.BACKEND_LOST));
        assertThat(finished().outcome()).isEqualTo("failed");
    }

    @Test
    void backendLostOutsideATransactionIsNothingToTell() {
        introduced();

        assertThat(session.onNextHopLost()).isEqualTo(new Step.None());
        assertThat(send(MAIL)).isInstanceOf(Step.Forward.class);
    }

    @Test
    void timeoutClosesAndAbortsTheTransaction() {
        mailAccepted();

        assertThat(session.onTimeout()).isEqualTo(new Step.Close(SmtpReply.TIMEOUT));
        assertThat(finished().outcome()).isEqualTo("aborted");
    }

    @Test
    void earlyTalkAndUnreachableBackendClose() {
        assertThat(session.onEarlyTalk()).isEqualTo(new Step.Close(SmtpReply.TALKING_BEFORE_GREETING));
        assertThat(session.onNextHopUnavailable()).isEqualTo(new Step.Close(SmtpReply.BACKEND_UNAVAILABLE));
    }

    @Test
    void finishedTransactionIsLoggedOnceWithTheSenderDomainOnly() {
        long[] now = {0};
        session = new SmtpSession(SETTINGS, () -> now[0]);
        receivingData();
        session.onDataEnd(DataOutcome.COMPLETE, 42);
        now[0] = 7_000_000;
        session.onNextHopReply(OK);

        assertThat(session.takeFinishedTransaction())
                .contains(new FinishedTransaction("example.org", 1, 42, "delivered", 250, 7));
        assertThat(session.takeFinishedTransaction()).isEmpty();
    }

    /** Sends a command; a MAIL or RCPT that asks the policy is admitted. */
    private Step send(String line) {
        Step step = session.onCommandLine(line.getBytes(UTF_8));
        return step instanceof Step.Admit ? session.onAdmitted() : step;
    }

    private SmtpReply replyTo(String line) {
        return replied(send(line));
    }

    private static SmtpReply replied(Step step) {
        assertThat(step).isInstanceOf(Step.Reply.class);
        return ((Step.Reply) step).reply();
    }

    private FinishedTransaction finished() {
        return session.takeFinishedTransaction().orElseThrow();
    }

    private void greeted() {
        session.onConnected();
        session.onNextHopReady(ServerCapabilities.NONE);
    }

    /** Greeted and introduced with a backend offering the keywords; returns our EHLO reply. */
    private SmtpReply introduced(String... backendKeywords) {
        greeted();
        send("EHLO client.example");
        return replied(session.onIntroduced(ehlo(backendKeywords)));
    }

    private void mailAccepted() {
        introduced();
        assertThat(send(MAIL)).isInstanceOf(Step.Forward.class);
        session.onNextHopReply(OK);
    }

    private void rcptAccepted() {
        assertThat(send(RCPT)).isInstanceOf(Step.Forward.class);
        session.onNextHopReply(OK);
    }

    private void receivingData() {
        mailAccepted();
        rcptAccepted();
        send("DATA");
        assertThat(session.onNextHopReply(GO_AHEAD)).isInstanceOf(Step.ReceiveData.class);
    }

    static SmtpReply ehlo(String... keywords) {
        List<String> lines = new ArrayList<>(List.of("backend.example"));
        lines.addAll(List.of(keywords));
        return new SmtpReply(250, lines);
    }
}
