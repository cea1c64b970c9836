package io.sluice.proxy.relay;

import io.sluice.proxy.session.ClientInfo;
import io.sluice.proxy.smtp.SmtpReply;
import java.util.Optional;

/** Where the sessions of one listener relay to: a next hop for each. */
public interface NextHops {

    /** A refusal for a client that may not use the listener at all, asked before anything else; or empty. */
    default Optional<SmtpReply> refuse(ClientInfo client) {
        return Optional.empty();
    }

    /** The next hop of a new session; it opens nothing before {@link NextHop#open}. */
    NextHop forSession(HopSession session);
}
