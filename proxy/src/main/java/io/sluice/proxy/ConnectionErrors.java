package io.sluice.proxy;

import io.netty.channel.ChannelHandlerContext;
import java.io.IOException;
import org.slf4j.Logger;

/** How a server-side handler ends a connection that failed: quietly for the network's faults, loudly for ours. */
public final class ConnectionErrors {

    private ConnectionErrors() {
    }

    /**
     * Logs the failure on {@code log} and closes the connection.
     *
     * @param kind what the connection is, for the log line: {@code client}, {@code admin}
     */
    public static void close(ChannelHandlerContext ctx, Throwable cause, Logger log, String kind) {
        if (cause instanceof IOException) {
            // Resets and broken pipes are everyday network weather, not an operator's problem.
            log.debug("{} connection error: {}", kind, cause.toString());
        } else {
            log.warn("unexpected error on a {} connection", kind, cause);
        }
        ctx.close();
    }
}
