package io.sluice.proxy.relay;

import io.netty.buffer.ByteBuf;
import io.sluice.proxy.smtp.SmtpClientConnection;

/**
 * The one connection a {@link NextHop} relays its session over, when it has one: its loss and its writability are
 * the session's events while it is adopted. Once the session is over, a loss is nobody's news.
 */
public final class HopConnection<C extends SmtpClientConnection> {

    private final HopSession.Events events;
    private C connection;
    private boolean closed;

    public HopConnection(HopSession.Events events) {
        this.events = events;
    }

    /** The connection, or null when there is none (not yet, or lost, dropped or handed back). */
    public C get() {
        return connection;
    }

    /** Whether the session is over. */
    public boolean isClosed() {
        return closed;
    }

    /** The session's connection from now on. */
    public void adopt(C adopted) {
        connection = adopted;
        adopted.onLost(() -> {
            if (connection == adopted && !closed) {
                connection = null;
                events.writable(true);
                events.lost();
            }
        });
        adopted.onWritabilityChanged(events::writable);
    }

    /** No longer the session's, which reads on; the caller keeps it or says goodbye. Null when there was none. */
    public C detach() {
        C detached = connection;
        connection = null;
        if (detached != null) {
            events.writable(true);
        }
        return detached;
    }

    /** Closes the connection at once: a message under way is never ended, so the server discards it. */
    public void drop() {
        C dropped = detach();
        if (dropped != null) {
            dropped.abort();
        }
    }

    /** The session is over: the connection, if any, is the caller's to keep or to say goodbye to. */
    public C close() {
        closed = true;
        C last = connection;
        connection = null;
        return last;
    }

    /** Message content for the connection; dropped when there is none (the message is answered as lost). */
    public void writeContent(ByteBuf content) {
        if (connection != null) {
            connection.writeContent(content);
        } else {
            content.release();
        }
    }

    public void flush() {
        if (connection != null) {
            connection.flush();
        }
    }
}
