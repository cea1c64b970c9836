package io.sluice.proxy.session;

import io.sluice.policy.eval.SessionLimits;
import io.sluice.proxy.smtp.SmtpClientConnection;
import io.sluice.proxy.smtp.SmtpFrame;
import io.sluice.proxy.smtp.SmtpFrameDecoder;

/** Turns what the framer read from a client into session events, the same for every kind of listener. */
public final class ClientFrames {

    private ClientFrames() {
    }

    /**
     * The session's next step for the frame, or null for message content, which goes on to {@code nextHop} while
     * the session is in DATA (and is dropped otherwise, as after a lost next hop).
     *
     * @param nextHop the connection the session relays to, or null when there is none
     */
    public static Step dispatch(SmtpFrame frame, SmtpSession session, SessionLimits limits,
                                SmtpClientConnection nextHop) {
        if (frame instanceof SmtpFrame.CommandLine command) {
            return session.onCommandLine(command.line());
        }
        if (frame instanceof SmtpFrame.DataContent data) {
            if (nextHop != null && session.state() == SmtpSession.State.DATA) {
                nextHop.writeContent(data.content());
            } else {
                data.content().release();
            }
            return null;
        }
        if (frame instanceof SmtpFrame.DataEnd end) {
            limits.dataEnd(end.size());
            return session.onDataEnd(end.outcome(), end.size());
        }
        if (frame instanceof SmtpFrame.CommandTooLong) {
            return session.onCommandTooLong();
        }
        if (frame instanceof SmtpFrame.EarlyTalk) {
            return session.onEarlyTalk();
        }
        throw new IllegalArgumentException("unknown frame: " + frame);
    }

    /**
     * The client's connection closed (or was closed): the content of a message cut off in the middle was read all
     * the same, so byte limits are settled to it, and the session's slots are given back.
     *
     * @param limits the session's limits, or null when the session never got that far
     */
    public static void connectionClosed(SmtpFrameDecoder framer, SessionLimits limits) {
        if (limits == null) {
            return;
        }
        if (framer != null && framer.framingData()) {
            limits.dataEnd(framer.dataOctets());
        }
        limits.close();
    }
}
