package io.sluice.proxy.session;

import io.sluice.proxy.smtp.CommandParser;
import io.sluice.proxy.smtp.MailPath;
import io.sluice.proxy.smtp.PathParser;
import io.sluice.proxy.smtp.Request;
import io.sluice.proxy.smtp.ServerCapabilities;
import io.sluice.proxy.smtp.SmtpCommand;
import io.sluice.proxy.smtp.SmtpFrame.DataOutcome;
import io.sluice.proxy.smtp.SmtpReply;
import io.sluice.proxy.smtp.Verb;
import java.math.BigInteger;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;

/**
 * The SMTP server-side state machine of one relayed session, free of any transport: each event returns the
 * {@link Step} the transport takes next. Commands are answered in order, which is what RFC 2920 asks of a
 * pipelining server; the next hop (a backend, or a remote mail exchanger) is the authority on everything it is
 * asked. Where the client pipelines and the next hop takes pipelining, the recipients and DATA that follow a MAIL or
 * RCPT are forwarded before its reply, as the client sent them, so a command group costs one round trip to the next
 * hop instead of one per command; a later command answered here, or one that depends on the earlier replies, waits
 * for them. The connection's state (HELO, TLS, errors, the commands awaiting an answer) is kept apart from the
 * transaction's, a {@link Transaction} value replaced whole.
 */
public final class SmtpSession {

    /** Where the session is in the RFC 5321 §4.1.4 command order. */
    public enum State { CONNECTING, GREETED, READY, MAIL, RCPT, DATA, CLOSED }

    // RFC 1870 §3: size-value, at most 20 digits; 18 keep it inside a long.
    // RFC 1870 §3: size-value ::= 1*20DIGIT, which may pass a long: such a size is over any limit anyway.
    private static final BigInteger LONG_MAX = BigInteger.valueOf(Long.MAX_VALUE);
    private static final Pattern SIZE_VALUE = Pattern.compile("\\d{1,20}");

    // How a transaction ended (Transaction#outcome; docs/metrics.md lists them for the meters).
    private static final String DELIVERED = "delivered";
    private static final String REJECTED = "rejected";
    private static final String FAILED = "failed";
    private static final String RESET = "reset";
    private static final String QUIT = "quit";
    private static final String ABORTED = "aborted";

    private final SessionSettings settings;
    private final LongSupplier nanoTime;
    private State state = State.CONNECTING;
    private ServerCapabilities nextHop = ServerCapabilities.NONE;
    private boolean tlsActive;
    private String helo;
    private boolean esmtp;
    private int errors;
    private int mailCommands;

    // The command waiting for the next hop's introduction or the policy's answer, if any.
    private Pending pending = Pending.NONE;
    // The MAIL or RCPT held back while the policy decides, then forwarded.
    private Request held;
    // The requests forwarded to the next hop and not yet answered, oldest first: a MAIL's sender opens the
    // transaction when its reply comes.
    private final Deque<Request> forwarded = new ArrayDeque<>(4);
    // A command pipelined after requests the next hop has yet to answer, and answered here (its reply), or needing
    // their outcome first (the command): it waits for them, so the client's replies keep its commands' order.
    private SmtpReply deferredReply;
    private byte[] deferredLine;

    private Transaction transaction = Transaction.NONE;
    private FinishedTransaction finished;

    private enum Pending { NONE, INTRODUCE, ADMIT_MAIL, ADMIT_RCPT }

    public SmtpSession(SessionSettings settings, LongSupplier nanoTime) {
        this.settings = settings;
        this.nanoTime = nanoTime;
    }

    public State state() {
        return state;
    }

    public String helo() {
        return helo;
    }

    public boolean esmtp() {
        return esmtp;
    }

    /** Whether a mail transaction is under way (drain lets these finish). */
    public boolean inTransaction() {
        return opened() || awaitsFinalReply();
    }

    /**
     * Whether the session waits for the client's next command outside a transaction, with nothing asked of the
     * next hop or the policy: the moment a draining node may end it.
     */
    public boolean idle() {
        return (state == State.GREETED || state == State.READY) && pending == Pending.NONE && forwarded.isEmpty()
                && deferredLine == null && deferredReply == null;
    }

    /**
     * Whether the client's next command may be taken before the next hop answers what was forwarded: the last
     * request forwarded lets a pipelined group go on (MAIL or RCPT), and nothing else is under way. The transport
     * asks only where the next hop takes pipelining.
     */
    public boolean takesCommandsAhead() {
        Request last = forwarded.peekLast();
        return (last instanceof Request.Mail || last instanceof Request.Rcpt) && pending == Pending.NONE
                && deferredLine == null && deferredReply == null && state != State.CLOSED;
    }

    /** The node is draining and the session is idle: goodbye, and the client tries again elsewhere. */
    public Step onShutdown() {
        return close(SmtpReply.SHUTTING_DOWN);
    }

    /** The transaction that the last event finished, once. */
    public Optional<FinishedTransaction> takeFinishedTransaction() {
        FinishedTransaction result = finished;
        finished = null;
        return Optional.ofNullable(result);
    }

    public Step onConnected() {
        return new Step.OpenNextHop();
    }

    public Step onNextHopReady(ServerCapabilities capabilities) {
        nextHop = capabilities;
        state = State.GREETED;
        // No enhanced code in the greeting: ENHANCEDSTATUSCODES is only negotiated by EHLO (RFC 2034 §3).
        return reply(new SmtpReply(220, List.of(settings.hostname() + " ESMTP")));
    }

    /** No next hop could be reached or introduced: the client must not be left with a silent drop. */
    public Step onNextHopUnavailable() {
        return close(SmtpReply.NEXT_HOP_UNAVAILABLE);
    }

    /** The policy refused the connection before the greeting. */
    public Step onConnectionLimited(SmtpReply reply) {
        return close(reply);
    }

    public Step onEarlyTalk() {
        return close(SmtpReply.TALKING_BEFORE_GREETING);
    }

    public Step onTimeout() {
        return close(SmtpReply.TIMEOUT);
    }

    /** The client closed the connection. */
    public void onClientGone() {
        endTransaction(ABORTED);
        state = State.CLOSED;
    }

    public Step onCommandTooLong() {
        return inOrder(error(SmtpReply.LINE_TOO_LONG));
    }

    public Step onCommandLine(byte[] line) {
        if (state == State.CLOSED) {
            return new Step.None();
        }
        if (!forwarded.isEmpty()) {
            return aheadOfReplies(line);
        }
        Optional<SmtpCommand> parsed = CommandParser.parse(line);
        if (parsed.isEmpty()) {
            return error(SmtpReply.SYNTAX_ERROR);
        }
        SmtpCommand command = parsed.get();
        return switch (command.verb()) {
            case EHLO -> hello(command, true);
            case HELO -> hello(command, false);
            case MAIL -> mail(command);
            case RCPT -> rcpt(command);
            case DATA -> data(command);
            case RSET -> rset(command);
            case NOOP -> reply(SmtpReply.OK);
            case QUIT -> quit(command);
            case STARTTLS -> startTls(command);
            // RFC 5321 §3.5.3: 252 when the server will not verify.
            case VRFY -> reply(SmtpReply.of(252, "2.5.0", "Cannot VRFY user, but will accept message and attempt delivery"));
            case HELP -> reply(SmtpReply.of(214, "2.0.0", "See RFC 5321"));
            case EXPN, AUTH, BDAT, ETRN, TURN, XCLIENT -> error(SmtpReply.NOT_IMPLEMENTED);
            case UNKNOWN -> error(SmtpReply.SYNTAX_ERROR);
        };
    }

    /**
     * A command the client pipelined after requests the next hop has yet to answer. A recipient goes on at once, and
     * so does DATA after one (the next hop's replies to them say what became of the transaction); anything else waits
     * for those replies, as does a reply given here.
     */
    private Step aheadOfReplies(byte[] line) {
        Optional<SmtpCommand> parsed = CommandParser.parse(line);
        Verb verb = parsed.map(SmtpCommand::verb).orElse(null);
        boolean recipientForwarded = forwarded.stream().anyMatch(Request.Rcpt.class::isInstance);
        if (verb == Verb.RCPT
                || (verb == Verb.DATA && recipientForwarded && !transaction.nextHopLost())) {
            return inOrder(verb == Verb.RCPT ? rcpt(parsed.get()) : data(parsed.get()));
        }
        deferredLine = line;
        return new Step.None();
    }

    /** A reply given here waits for the replies to the requests forwarded before it. */
    private Step inOrder(Step step) {
        if (step instanceof Step.Reply reply && !forwarded.isEmpty()) {
            deferredReply = reply.reply();
            return new Step.None();
        }
        return step;
    }

    private Step hello(SmtpCommand command, boolean extended) {
        if (state == State.CONNECTING || state == State.CLOSED) {
            return error(SmtpReply.BAD_SEQUENCE);
        }
        String domain = command.argument().trim();
        if (!PathParser.isValidHeloDomain(domain)) {
            return error(SmtpReply.of(501, "5.5.4", "Syntax: " + command.verb() + " hostname"));
        }
        // RFC 5321 §4.1.4: HELO/EHLO resets any transaction, as RSET would.
        endTransaction(RESET);
        helo = domain;
        esmtp = extended;
        pending = Pending.INTRODUCE;
        return new Step.Introduce(domain, extended);
    }

    private Step mail(SmtpCommand command) {
        // Every MAIL counts, refused ones too: each may cost a policy decision and a bucket of an attacker-chosen key.
        if (++mailCommands > settings.maxTransactions()) {
            return close(SmtpReply.TOO_MANY_TRANSACTIONS);
        }
        if (state == State.GREETED) {
            return error(SmtpReply.SEND_HELO_FIRST);
        }
        if (state == State.MAIL || state == State.RCPT) {
            return error(SmtpReply.NESTED_MAIL);
        }
        PathParser.Result parsed = PathParser.parseMailFrom(command.argument());
        if (!parsed.isOk()) {
            return error(parsed.error());
        }
        MailPath path = parsed.path();
        for (Map.Entry<String, String> parameter : path.parameters().entrySet()) {
            Optional<SmtpReply> refused = checkMailParameter(parameter.getKey(), parameter.getValue());
            if (refused.isPresent()) {
                return error(refused.get());
            }
        }
        pending = Pending.ADMIT_MAIL;
        held = new Request.Mail(path);
        String size = path.parameters().get("SIZE");
        return new Step.Admit(Step.AdmitStage.MAIL, path.address(), size == null ? 0 : declaredSize(size));
    }

    private Optional<SmtpReply> checkMailParameter(String name, String value) {
        // RFC 1870 §6: a declared size over the limit is refused before any data.
        boolean sizeValue = name.equals("SIZE") && SIZE_VALUE.matcher(value).matches();
        if (sizeValue && declaredSize(value) > maxMessageSize()) {
            return Optional.of(SmtpReply.MESSAGE_TOO_BIG);
        }
        boolean known = switch (name) {
            case "SIZE" -> sizeValue;
            case "BODY" -> value.equalsIgnoreCase("7BIT") || (value.equalsIgnoreCase("8BITMIME") && nextHop.eightBitMime());
            case "SMTPUTF8" -> value.isEmpty() && nextHop.smtpUtf8();
            case "RET" -> nextHop.dsn() && (value.equalsIgnoreCase("FULL") || value.equalsIgnoreCase("HDRS"));
            case "ENVID" -> nextHop.dsn() && !value.isEmpty();
            default -> false;
        };
        return known ? Optional.empty()
                : Optional.of(SmtpReply.of(555, "5.5.4", "Unsupported parameter: " + name));
    }

    private static long declaredSize(String digits) {
        return digits.length() < 19 ? Long.parseLong(digits) : new BigInteger(digits).min(LONG_MAX).longValue();
    }

    private Step rcpt(SmtpCommand command) {
        Request.Mail mailForwarded = mailForwarded();
        if (state != State.MAIL && state != State.RCPT && mailForwarded == null) {
            return error(SmtpReply.NEED_MAIL);
        }
        boolean utf8 = transaction.utf8()
                || (mailForwarded != null && mailForwarded.sender().parameters().containsKey("SMTPUTF8"));
        PathParser.Result parsed = PathParser.parseRcptTo(command.argument(), utf8);
        if (!parsed.isOk()) {
            return error(parsed.error());
        }
        for (String name : parsed.path().parameters().keySet()) {
            boolean known = nextHop.dsn() && (name.equals("NOTIFY") || name.equals("ORCPT"));
            if (!known) {
                return error(SmtpReply.of(555, "5.5.4", "Unsupported parameter: " + name));
            }
        }
        if (transaction.nextHopLost()) {
            // Not the 503 of a missing MAIL: the client would bounce the recipient for a fault of ours.
            return reply(SmtpReply.NEXT_HOP_LOST);
        }
        long recipientsForwarded = forwarded.stream().filter(Request.Rcpt.class::isInstance).count();
        if (transaction.recipients() + recipientsForwarded >= settings.maxRecipients()) {
            // RFC 5321 §4.5.3.1.10: 452, so the client tries the rest later.
            return reply(SmtpReply.TOO_MANY_RECIPIENTS);
        }
        pending = Pending.ADMIT_RCPT;
        held = new Request.Rcpt(parsed.path());
        return new Step.Admit(Step.AdmitStage.RCPT, parsed.path().address(), 0);
    }

    /** The MAIL forwarded and not yet answered, whose yes would open the transaction; or null. */
    private Request.Mail mailForwarded() {
        for (Request request : forwarded) {
            if (request instanceof Request.Mail mail) {
                return mail;
            }
        }
        return null;
    }

    private Pending awaitingPolicy() {
        if (pending != Pending.ADMIT_MAIL && pending != Pending.ADMIT_RCPT) {
            throw new IllegalStateException("no command awaits the policy: " + this);
        }
        return pending;
    }

    /** The policy let the MAIL or RCPT command through: it goes to the next hop. */
    public Step onAdmitted() {
        Pending admitted = awaitingPolicy();
        Request request = held;
        pending = Pending.NONE;
        held = null;
        if (admitted == Pending.ADMIT_RCPT && transaction.nextHopLost()) {
            return inOrder(reply(SmtpReply.NEXT_HOP_LOST));
        }
        return forward(request);
    }

    private Step forward(Request request) {
        forwarded.addLast(request);
        return new Step.Forward(request);
    }

    /**
     * The policy refused the MAIL or RCPT command: the client gets the reply (a temporary failure, so it retries
     * later), and the connection is closed after a 421. A refused recipient leaves the transaction as it was.
     */
    public Step onLimited(SmtpReply reply) {
        awaitingPolicy();
        pending = Pending.NONE;
        held = null;
        // RFC 5321 §3.8: 421 means the server is closing the connection.
        return reply.code() == 421 ? close(reply) : inOrder(reply(reply));
    }

    private Step data(SmtpCommand command) {
        if (command.hasArgument()) {
            return error(SmtpReply.of(501, "5.5.4", "Syntax: DATA"));
        }
        if (transaction.nextHopLost()) {
            finishTransaction(FAILED, SmtpReply.NEXT_HOP_LOST.code());
            return reply(SmtpReply.NEXT_HOP_LOST);
        }
        boolean recipients = state == State.RCPT || forwarded.stream().anyMatch(Request.Rcpt.class::isInstance);
        if (!recipients && state == State.MAIL) {
            return error(SmtpReply.of(554, "5.5.1", "No valid recipients"));
        }
        if (!recipients) {
            return error(SmtpReply.NEED_RCPT);
        }
        return forward(Request.DATA);
    }

    private Step rset(SmtpCommand command) {
        if (command.hasArgument()) {
            return error(SmtpReply.of(501, "5.5.4", "Syntax: RSET"));
        }
        if ((state == State.MAIL || state == State.RCPT) && !transaction.nextHopLost()) {
            return forward(Request.RSET);
        }
        // Nothing to reset at a next hop that lost the transaction already.
        endTransaction(RESET);
        return reply(SmtpReply.OK);
    }

    private Step quit(SmtpCommand command) {
        if (command.hasArgument()) {
            return error(SmtpReply.of(501, "5.5.4", "Syntax: QUIT"));
        }
        endTransaction(QUIT);
        return close(SmtpReply.BYE);
    }

    private Step startTls(SmtpCommand command) {
        if (command.hasArgument()) {
            return error(SmtpReply.of(501, "5.5.4", "Syntax: STARTTLS"));
        }
        if (!settings.tlsOffered()) {
            return error(SmtpReply.NOT_IMPLEMENTED);
        }
        if (tlsActive || state == State.MAIL || state == State.RCPT) {
            return error(SmtpReply.BAD_SEQUENCE);
        }
        return new Step.StartTls(SmtpReply.READY_TO_START_TLS);
    }

    /** RFC 3207 §4.2: after the handshake the client starts over with EHLO. */
    public void onTlsStarted() {
        tlsActive = true;
        helo = null;
        state = State.GREETED;
    }

    /**
     * The next hop has been told who the client is and has answered the client's HELO/EHLO; a refusal
     * (say, of an invalid HELO name) is the client's answer too.
     */
    public Step onIntroduced(SmtpReply ehlo) {
        pending = Pending.NONE;
        if (!ehlo.isPositive()) {
            // Back to before HELO: without a name, a replacement backend could not be introduced (no XCLIENT).
            helo = null;
            state = State.GREETED;
            return reply(ehlo.withEnhancedCodes());
        }
        return introduced(ServerCapabilities.fromEhlo(ehlo));
    }

    /**
     * The client is answered at once from {@code known}: what a kept backend connection answered the previous
     * client's HELO/EHLO. The backend's answer to this client's follows ({@link #onIntroductionRefused}).
     */
    public Step onIntroducedAs(ServerCapabilities known) {
        pending = Pending.NONE;
        return introduced(known);
    }

    /**
     * The backend refused the HELO/EHLO that the client was answered from a kept connection: the command that
     * waited for the backend's answer gets the refusal, and the client is back to before HELO, as after a
     * refused HELO. Servers that check HELO only at MAIL or RCPT (Postfix by default) answer the same way.
     */
    public Step onIntroductionRefused(SmtpReply ehlo) {
        // The command that waited was MAIL at the earliest: no transaction had opened.
        held = null;
        forwarded.clear();
        return onIntroduced(ehlo);
    }

    private Step introduced(ServerCapabilities capabilities) {
        nextHop = capabilities;
        state = State.READY;
        if (!esmtp) {
            return reply(new SmtpReply(250, List.of(settings.hostname())));
        }
        return reply(new SmtpReply(250, ehloLines()));
    }

    private List<String> ehloLines() {
        List<String> lines = new ArrayList<>();
        lines.add(settings.hostname());
        lines.add("PIPELINING");
        lines.add("SIZE " + maxMessageSize());
        if (nextHop.eightBitMime()) {
            lines.add("8BITMIME");
        }
        // Every reply we send carries an enhanced code; relayed ones get a generic code where missing.
        lines.add("ENHANCEDSTATUSCODES");
        if (nextHop.smtpUtf8()) {
            lines.add("SMTPUTF8");
        }
        if (nextHop.dsn()) {
            lines.add("DSN");
        }
        if (settings.tlsOffered() && !tlsActive) {
            lines.add("STARTTLS");
        }
        return lines;
    }

    private long maxMessageSize() {
        long hopLimit = nextHop.maxMessageSize();
        return hopLimit > 0 ? Math.min(hopLimit, settings.maxMessageSize()) : settings.maxMessageSize();
    }

    /** The next hop answered the oldest request forwarded. */
    public Step onNextHopReply(SmtpReply reply) {
        Request answered = forwarded.pollFirst();
        if (answered == null) {
            throw new IllegalStateException("no command awaits a reply of the next hop: " + reply);
        }
        SmtpReply relayed = reply.withEnhancedCodes();
        if (answered instanceof Request.Mail mail) {
            if (reply.isPositive()) {
                state = State.MAIL;
                transaction = Transaction.opened(mail.sender(), nanoTime.getAsLong());
            }
        } else if (answered instanceof Request.Rcpt) {
            // A yes after a refused MAIL would be a confused next hop: no transaction to add the recipient to.
            if (reply.isPositive() && opened()) {
                transaction = transaction.withRecipient();
                state = State.RCPT;
            }
        } else if (answered instanceof Request.Data) {
            if (reply.code() == 354 && opened()) {
                state = State.DATA;
                return new Step.ReceiveData(reply, maxMessageSize());
            }
            if (reply.isPositive()) {
                // Any other yes to DATA, or a go-ahead without a transaction, is a confused next hop: the client
                // would send its content as commands.
                if (opened()) {
                    finishTransaction(FAILED, SmtpReply.NEXT_HOP_LOST.code());
                }
                return new Step.AbortData(SmtpReply.NEXT_HOP_LOST);
            }
        } else if (answered instanceof Request.Rset) {
            endTransaction(RESET);
        } else if (answered instanceof Request.EndOfData) {
            finishTransaction(reply.code() == 250 ? DELIVERED : REJECTED, reply.code());
        }
        return answeredInOrder(relayed);
    }

    /**
     * The reply to the oldest request forwarded, for the client: on its own while later commands are under way,
     * then what waited for it, once nothing forwarded is left unanswered.
     */
    private Step answeredInOrder(SmtpReply reply) {
        if (!forwarded.isEmpty() || pending != Pending.NONE) {
            return new Step.Relay(reply, new Step.None());
        }
        if (deferredReply != null) {
            SmtpReply next = deferredReply;
            deferredReply = null;
            return new Step.Relay(reply, reply(next));
        }
        if (deferredLine != null) {
            byte[] next = deferredLine;
            deferredLine = null;
            return new Step.Relay(reply, onCommandLine(next));
        }
        return reply(reply);
    }

    /** The end-of-data line arrived; {@code outcome} says whether the content may be delivered. */
    public Step onDataEnd(DataOutcome outcome, long size) {
        transaction = transaction.withSize(size);
        if (transaction.nextHopLost()) {
            finishTransaction(FAILED, SmtpReply.NEXT_HOP_LOST.code());
            return reply(SmtpReply.NEXT_HOP_LOST);
        }
        SmtpReply refusal = switch (outcome) {
            case COMPLETE -> null;
            case BARE_LINE_ENDING -> SmtpReply.BARE_LINE_ENDING;
            case LINE_TOO_LONG -> SmtpReply.TEXT_LINE_TOO_LONG;
            case TOO_BIG -> SmtpReply.MESSAGE_TOO_BIG;
        };
        if (refusal != null) {
            finishTransaction(REJECTED, refusal.code());
            return new Step.AbortData(refusal);
        }
        forwarded.addLast(Request.END_OF_DATA);
        return new Step.EndData();
    }

    /**
     * The next hop's connection closed or timed out. Whatever it was asked is answered with a tempfail: the
     * client keeps the message (never a 250 the next hop did not give).
     */
    public Step onNextHopLost() {
        if (state == State.CONNECTING) {
            return onNextHopUnavailable();
        }
        if (pending == Pending.INTRODUCE) {
            return close(SmtpReply.NEXT_HOP_UNAVAILABLE);
        }
        Request lost = forwarded.pollFirst();
        if (lost == null) {
            // Nothing was asked of the next hop: the client hears about it at its next RCPT or DATA, or after its
            // final dot (data goes on being read). A command at the policy learns of the loss once admitted.
            if (opened()) {
                transaction = transaction.lost();
            }
            return new Step.None();
        }
        if (lost instanceof Request.Data || lost instanceof Request.EndOfData) {
            if (opened()) {
                finishTransaction(FAILED, SmtpReply.NEXT_HOP_LOST.code());
            }
        } else if (lost instanceof Request.Rcpt) {
            // The client may go on with more recipients in the transaction it still holds.
            if (opened()) {
                transaction = transaction.lost();
            }
        } else if (lost instanceof Request.Rset) {
            // The client ended the transaction; only the next hop's half of the reset went unanswered.
            endTransaction(RESET);
        }
        // A lost MAIL opened no transaction: that takes the next hop's yes.
        return answeredInOrder(SmtpReply.NEXT_HOP_LOST);
    }

    private Step reply(SmtpReply reply) {
        return new Step.Reply(reply);
    }

    private Step error(SmtpReply reply) {
        // RFC 5321 §4.5.3.2 leaves the limit to the server; Postfix's hard error limit works the same way.
        if (++errors >= settings.maxErrors()) {
            return close(SmtpReply.TOO_MANY_ERRORS);
        }
        return reply(reply);
    }

    private Step close(SmtpReply reply) {
        // However we end the session (a timeout, an error limit, a 421 from the policy, no next hop), a transaction
        // still open ends with it, as aborted. QUIT finished its own already (the state is READY): never twice.
        if (state == State.MAIL || state == State.RCPT || state == State.DATA) {
            finishTransaction(ABORTED, 0);
        }
        state = State.CLOSED;
        pending = Pending.NONE;
        held = null;
        forwarded.clear();
        deferredReply = null;
        deferredLine = null;
        return new Step.Close(reply);
    }

    /**
     * Ends the open transaction, if any, with no reply to a message: a transaction opens when the next hop accepts
     * MAIL, and every one that opens is finished (logged and counted) exactly once, however it ends.
     */
    private void endTransaction(String outcome) {
        if (opened() || awaitsFinalReply()) {
            finishTransaction(outcome, 0);
        }
    }

    /** The next hop accepted MAIL, and the transaction has not ended since. */
    private boolean opened() {
        return state == State.MAIL || state == State.RCPT || state == State.DATA;
    }

    private boolean awaitsFinalReply() {
        return forwarded.peekLast() instanceof Request.EndOfData;
    }

    private void finishTransaction(String outcome, int reply) {
        finished = transaction.finish(outcome, reply, nanoTime.getAsLong());
        transaction = Transaction.NONE;
        if (state == State.MAIL || state == State.RCPT || state == State.DATA) {
            state = State.READY;
        }
    }

    @Override
    public String toString() {
        return "SmtpSession[" + state.name().toLowerCase(Locale.ROOT) + ", pending " + pending + ", forwarded "
                + forwarded.size() + "]";
    }
}
