package io.sluice.proxy.relay;

import io.netty.channel.EventLoop;
import io.sluice.policy.eval.SessionLimits;
import io.sluice.proxy.session.ClientInfo;

/**
 * What a {@link NextHop} knows of the session it serves: the event loop everything runs on, the client, the
 * session's limits (for the slots of the servers it connects to), and where it reports what happens unasked.
 */
public record HopSession(EventLoop loop, ClientInfo client, SessionLimits limits, Events events) {

    /** What the next hop tells the session without being asked. */
    public interface Events {
        /** The next hop's connection closed while nothing was asked of it. */
        void lost();

        /** The next hop's connection can take more content, or not: client reads resume or pause. */
        void writable(boolean writable);
    }
}
