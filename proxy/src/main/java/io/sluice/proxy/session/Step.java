package io.sluice.proxy.session;

import io.sluice.proxy.smtp.Request;
import io.sluice.proxy.smtp.SmtpReply;

/** What the transport must do next after a session event; the session itself never touches the network. */
public sealed interface Step {

    /** Make the next hop ready for the session, then call {@code onNextHopReady}. */
    record OpenNextHop() implements Step {}

    /** Send the reply, then read the next command. */
    record Reply(SmtpReply reply) implements Step {}

    /** Send the reply and close the connection. */
    record Close(SmtpReply reply) implements Step {}

    /**
     * Tell the next hop who the client is and give it the client's HELO/EHLO, then call {@code onIntroduced} (or
     * {@code onIntroducedAs}).
     */
    record Introduce(String helo, boolean esmtp) implements Step {}

    /**
     * Send the request to the next hop, then call {@code onNextHopReply} with its answer (or {@code onNextHopLost}).
     * Where the next hop takes pipelining and the session {@code takesCommandsAhead}, read the client's next command
     * meanwhile.
     */
    record Forward(Request request) implements Step {}

    /** Send the reply to a command the client pipelined before the one under way, then take the next step. */
    record Relay(SmtpReply reply, Step then) implements Step {}

    /** Send the reply (354), then frame message content. */
    record ReceiveData(SmtpReply reply, long maxMessageSize) implements Step {}

    /** End the message at the next hop with the end-of-data line and wait for its final reply. */
    record EndData() implements Step {}

    /** Drop the next hop's connection without ending the message (so it is never delivered), then reply. */
    record AbortData(SmtpReply reply) implements Step {}

    /** Send the reply (220), discard anything pipelined after STARTTLS, and start the TLS handshake. */
    record StartTls(SmtpReply reply) implements Step {}

    /**
     * Ask the flow-control policy whether the command may go on, then call {@code onAdmitted} or {@code onLimited}.
     *
     * @param stage MAIL or RCPT
     * @param address the sender (empty for the null sender) or the recipient
     * @param declaredSize the SIZE declared at MAIL, or 0
     */
    record Admit(AdmitStage stage, String address, long declaredSize) implements Step {}

    /** Nothing to do now. */
    record None() implements Step {}

    /** The commands the policy is asked about (the connection itself is asked before the session starts). */
    enum AdmitStage { MAIL, RCPT }
}
