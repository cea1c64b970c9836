package io.sluice.loadtest.load;

import java.nio.charset.StandardCharsets;

/**
 * What a client session says next, given the server's last reply: greeting, EHLO, then per message MAIL, RCPT
 * for each recipient, DATA and the content, then QUIT. One command at a time, so every reply is timed on its
 * own. It knows nothing of sockets; the handler feeds it replies and sends what it returns.
 *
 * <p>Every message of the session ends exactly once, through {@link Listener#messageEnded}: a refusal at any
 * stage ends the message it belongs to, a {@code 421} (RFC 5321 §3.8: the server closes) or a lost connection
 * ends it and every message not yet tried.
 */
final class SessionScript {

    /** Receives each message's end. */
    interface Listener {
        void messageEnded(int seq, MessageOutcome outcome);
    }

    /** Numbers and builds messages for a script. */
    interface Messages {
        /** The next message's sequence number, unique within the run. */
        int nextSeq();

        /** The DATA content of message {@code seq}, terminator included. */
        byte[] content(int seq, String recipient);

        /** The reverse path of message {@code seq}. */
        String sender(int seq);
    }

    /** What to do after a reply: send {@code command} (if not null), then close if {@code close}. */
    record Action(byte[] command, boolean close) {
        static final Action CLOSE = new Action(null, true);
    }

    private final int messages;
    private final int recipients;
    private final String helo;
    private final String recipientDomain;
    private final Messages source;
    private final Listener listener;

    private Stage stage = Stage.CONNECT;
    private int messagesLeft;
    /** Sequence number of the message under way, or -1 between messages. */
    private int seq = -1;
    private int rcptSent;
    private int rcptAccepted;
    private int lastRefusal;
    private boolean finished;

    SessionScript(int messages, int recipients, String helo, String recipientDomain, Messages source,
            Listener listener) {
        this.messages = messages;
        this.recipients = recipients;
        this.helo = helo;
        this.recipientDomain = recipientDomain;
        this.source = source;
        this.listener = listener;
        this.messagesLeft = messages;
    }

    /** The stage whose reply is awaited. */
    Stage stage() {
        return stage;
    }

    /** True once every message has ended and nothing more will be sent. */
    boolean finished() {
        return finished;
    }

    /** The server's complete reply to the current stage. */
    Action onReply(int code) {
        if (finished) {
            return Action.CLOSE;
        }
        if (code == 421) {
            return abort(MessageOutcome.TEMPFAILED);
        }
        boolean ok = code >= 200 && code < 300;
        switch (stage) {
            case CONNECT:
            case EHLO:
                if (!ok) {
                    return abort(MessageOutcome.of(code));
                }
                return stage == Stage.CONNECT ? send(Stage.EHLO, "EHLO " + helo) : nextMessage();
            case MAIL:
                if (!ok) {
                    endMessage(MessageOutcome.of(code));
                    return nextMessage();
                }
                return rcpt();
            case RCPT:
                if (ok) {
                    rcptAccepted++;
                } else {
                    lastRefusal = code;
                }
                if (rcptSent < recipients) {
                    return rcpt();
                }
                if (rcptAccepted == 0) {
                    endMessage(MessageOutcome.of(lastRefusal));
                    return send(Stage.RSET, "RSET");
                }
                return send(Stage.DATA, "DATA");
            case DATA:
                if (code != 354) {
                    endMessage(code >= 200 && code < 400 ? MessageOutcome.ERROR : MessageOutcome.of(code));
                    return send(Stage.RSET, "RSET");
                }
                stage = Stage.DOT;
                return new Action(source.content(seq, recipient(0)), false);
            case DOT:
                endMessage(MessageOutcome.of(code));
                return nextMessage();
            case RSET:
                return nextMessage();
            case QUIT:
            default:
                finished = true;
                return Action.CLOSE;
        }
    }

    /**
     * The session ended without a verdict (connection lost, timeout, connect failure): the message under way and
     * every one not yet tried end with {@code outcome}. Nothing is sent any more.
     */
    Action abort(MessageOutcome outcome) {
        if (seq >= 0) {
            endMessage(outcome);
        }
        while (messagesLeft > 0) {
            messagesLeft--;
            listener.messageEnded(source.nextSeq(), outcome);
        }
        finished = true;
        return Action.CLOSE;
    }

    private Action nextMessage() {
        if (messagesLeft == 0) {
            return send(Stage.QUIT, "QUIT");
        }
        messagesLeft--;
        seq = source.nextSeq();
        rcptSent = 0;
        rcptAccepted = 0;
        return send(Stage.MAIL, "MAIL FROM:<" + source.sender(seq) + ">");
    }

    private Action rcpt() {
        String to = recipient(rcptSent++);
        return send(Stage.RCPT, "RCPT TO:<" + to + ">");
    }

    private String recipient(int index) {
        return "rcpt" + index + "@" + recipientDomain;
    }

    private void endMessage(MessageOutcome outcome) {
        listener.messageEnded(seq, outcome);
        seq = -1;
    }

    private Action send(Stage next, String line) {
        stage = next;
        return new Action((line + "\r\n").getBytes(StandardCharsets.US_ASCII), false);
    }

    /** Messages this script was made for. */
    int messages() {
        return messages;
    }
}
