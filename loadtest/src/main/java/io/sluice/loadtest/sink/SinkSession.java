package io.sluice.loadtest.sink;

import io.sluice.loadtest.check.CheckHeader;
import java.util.Optional;

/**
 * The sink's SMTP state machine for one connection: it turns command lines into replies and counts accepted
 * messages. It knows nothing about the transport; framing and end-of-data detection happen before it.
 */
final class SinkSession {

    private static final byte[] EHLO = verb("EHLO");
    private static final byte[] HELO = verb("HELO");
    private static final byte[] MAIL = verb("MAIL");
    private static final byte[] RCPT = verb("RCPT");
    private static final byte[] DATA = verb("DATA");
    private static final byte[] RSET = verb("RSET");
    private static final byte[] NOOP = verb("NOOP");
    private static final byte[] QUIT = verb("QUIT");
    private static final byte[] XCLIENT = verb("XCLIENT");
    private static final byte[] FROM = verb("FROM:");
    private static final byte[] TO = verb("TO:");

    private final SinkReplies replies;
    private final SinkStats stats;
    private final FaultPlan faults;
    /** The connection's peer, as counted per message. */
    private String peer = "unknown";
    /** A delay a fault put on the reply just returned, for the transport to apply. */
    private long delayNanos;
    private long lastQueueId;
    /** A message whose data ended and whose reply waits for its turn; at most one per connection. */
    private Ended ended;

    /** Connection state survives RSET; the transaction state below does not (RFC 5321 §4.1.1.5). */
    private boolean inTransaction;
    private int recipients;

    SinkSession(SinkReplies replies, SinkStats stats, FaultPlan faults) {
        this.replies = replies;
        this.stats = stats;
        this.faults = faults;
    }

    /** The peer's address, for the per-peer counts. */
    void peer(String address) {
        peer = address;
    }

    Reply greeting() {
        Reply fault = fault(Fault.Stage.CONNECT);
        return fault != null ? fault : replies.greeting();
    }

    /** The delay a fault puts on the reply last returned (once; 0 without one). */
    long takeDelayNanos() {
        long delay = delayNanos;
        delayNanos = 0;
        return delay;
    }

    /** Handles one command line, given without its CRLF. The array is only read during the call. */
    Reply onCommand(byte[] line, int length) {
        if (length == 0) {
            return SinkReplies.EMPTY_LINE;
        }
        Fault.Stage stage = stage(line, length);
        Reply fault = stage == null ? null : fault(stage);
        if (fault != null) {
            return fault; // refused as a real server would: the session's state does not move
        }
        if (isVerb(line, length, MAIL)) {
            return mail(line, length);
        }
        if (isVerb(line, length, RCPT)) {
            return rcpt(line, length);
        }
        if (isVerb(line, length, DATA)) {
            return data(line, length);
        }
        if (isVerb(line, length, EHLO)) {
            return hello(line, length, EHLO, replies.ehlo(), SinkReplies.EHLO_SYNTAX);
        }
        if (isVerb(line, length, HELO)) {
            return hello(line, length, HELO, replies.helo(), SinkReplies.HELO_SYNTAX);
        }
        if (isVerb(line, length, RSET)) {
            if (!onlyBlanksAfter(line, length, RSET.length)) {
                return SinkReplies.NO_ARGUMENTS;
            }
            resetTransaction();
            return SinkReplies.OK;
        }
        if (isVerb(line, length, NOOP)) {
            return SinkReplies.OK; // RFC 5321 §4.1.1.9: a parameter is allowed and ignored
        }
        if (isVerb(line, length, QUIT)) {
            return onlyBlanksAfter(line, length, QUIT.length) ? SinkReplies.BYE : SinkReplies.NO_ARGUMENTS;
        }
        if (isVerb(line, length, XCLIENT)) {
            return xclient(line, length);
        }
        return SinkReplies.UNRECOGNIZED;
    }

    /** Handles a command line longer than the framing accepts; its content is gone. */
    Reply onLineTooLong() {
        return SinkReplies.LINE_TOO_LONG;
    }

    /**
     * The message whose data just ended: to be accepted (null; {@link #accept} then counts it when its reply goes
     * out), or refused by a fault (that fault's reply). Either way the transaction ends.
     */
    Reply onMessageEnd(long bodyBytes, MessageChecker checker) {
        if (!inTransaction || recipients == 0) {
            throw new IllegalStateException("end of data outside a transaction with recipients");
        }
        Reply fault = fault(Fault.Stage.DOT);
        if (fault == null) {
            ended = new Ended(recipients, bodyBytes, checker.check(), checker.bodySha256());
        }
        resetTransaction();
        return fault;
    }

    /**
     * Accepts the message {@link #onMessageEnd} last let through: counts it and enters it in the ledger by its
     * check header, as its reply goes out. Its queue id is then {@link #lastQueueId}.
     */
    long accept() {
        Ended message = ended;
        if (message == null) {
            throw new IllegalStateException("no message waits to be accepted");
        }
        ended = null;
        lastQueueId = stats.messageAccepted(message.recipients(), message.bodyBytes(), peer, message.check(),
                message.bodySha256());
        return lastQueueId;
    }

    /** What is counted of a message between the end of its data and its acceptance. */
    private record Ended(int recipients, long bodyBytes, Optional<CheckHeader> check, byte[] bodySha256) {
    }

    long lastQueueId() {
        return lastQueueId;
    }

    /** The fault striking this occurrence of {@code stage}: its reply, or null (also for a delay, kept aside). */
    private Reply fault(Fault.Stage stage) {
        Fault fault = faults.strike(stage);
        if (fault == null) {
            return null;
        }
        stats.faultInjected();
        switch (fault.action()) {
            case DELAY:
                delayNanos = fault.delay().toNanos();
                return null;
            case DISCONNECT:
                return SinkReplies.DISCONNECT;
            default:
                return fault.reply();
        }
    }

    private static Fault.Stage stage(byte[] line, int length) {
        if (isVerb(line, length, MAIL)) {
            return Fault.Stage.MAIL;
        }
        if (isVerb(line, length, RCPT)) {
            return Fault.Stage.RCPT;
        }
        if (isVerb(line, length, DATA)) {
            return Fault.Stage.DATA;
        }
        if (isVerb(line, length, EHLO) || isVerb(line, length, HELO)) {
            return Fault.Stage.EHLO;
        }
        return isVerb(line, length, QUIT) ? Fault.Stage.QUIT : null;
    }

    boolean inTransaction() {
        return inTransaction;
    }

    int recipients() {
        return recipients;
    }

    private Reply hello(byte[] line, int length, byte[] verb, Reply success, Reply syntax) {
        if (onlyBlanksAfter(line, length, verb.length)) {
            return syntax;
        }
        resetTransaction(); // RFC 5321 §4.1.4: EHLO/HELO clear the transaction like RSET
        return success;
    }

    private Reply mail(byte[] line, int length) {
        if (!hasKeyword(line, length, MAIL.length, FROM)) {
            return SinkReplies.MAIL_SYNTAX;
        }
        if (inTransaction) {
            return SinkReplies.NESTED_MAIL;
        }
        inTransaction = true;
        return SinkReplies.SENDER_OK;
    }

    private Reply rcpt(byte[] line, int length) {
        if (!hasKeyword(line, length, RCPT.length, TO)) {
            return SinkReplies.RCPT_SYNTAX;
        }
        if (!inTransaction) {
            return SinkReplies.NEED_MAIL;
        }
        if (recipients < Integer.MAX_VALUE) {
            recipients++;
        }
        return SinkReplies.RECIPIENT_OK;
    }

    private Reply data(byte[] line, int length) {
        if (!onlyBlanksAfter(line, length, DATA.length)) {
            return SinkReplies.NO_ARGUMENTS;
        }
        if (!inTransaction) {
            return SinkReplies.NEED_MAIL;
        }
        if (recipients == 0) {
            return SinkReplies.NEED_RCPT;
        }
        return SinkReplies.START_DATA;
    }

    /** Postfix answers an accepted XCLIENT with a fresh greeting; the client then says EHLO again. */
    private Reply xclient(byte[] line, int length) {
        if (onlyBlanksAfter(line, length, XCLIENT.length)) {
            return SinkReplies.XCLIENT_SYNTAX;
        }
        if (inTransaction) {
            return SinkReplies.XCLIENT_IN_TRANSACTION;
        }
        resetTransaction();
        return replies.greeting();
    }

    private void resetTransaction() {
        inTransaction = false;
        recipients = 0;
    }

    private static byte[] verb(String upper) {
        byte[] bytes = new byte[upper.length()];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) upper.charAt(i);
        }
        return bytes;
    }

    /** True if the line starts with the verb, in any case, followed by a space or the end of the line. */
    static boolean isVerb(byte[] line, int length, byte[] upperVerb) {
        return startsWithIgnoreCase(line, 0, length, upperVerb)
                && (length == upperVerb.length || line[upperVerb.length] == ' ');
    }

    /** True if the argument starts with the keyword, e.g. {@code FROM:}, after optional spaces. */
    private static boolean hasKeyword(byte[] line, int length, int verbLength, byte[] upperKeyword) {
        int i = verbLength;
        while (i < length && line[i] == ' ') {
            i++;
        }
        return startsWithIgnoreCase(line, i, length, upperKeyword);
    }

    private static boolean onlyBlanksAfter(byte[] line, int length, int from) {
        for (int i = from; i < length; i++) {
            if (line[i] != ' ' && line[i] != '\t') {
                return false;
            }
        }
        return true;
    }

    private static boolean startsWithIgnoreCase(byte[] line, int from, int length, byte[] upper) {
        if (length - from < upper.length) {
            return false;
        }
        for (int i = 0; i < upper.length; i++) {
            byte b = line[from + i];
            if (b >= 'a' && b <= 'z') {
                b -= 'a' - 'A';
            }
            if (b != upper[i]) {
                return false;
            }
        }
        return true;
    }
}
