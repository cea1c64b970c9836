package io.sluice.proxy.session;

import java.net.InetSocketAddress;

/**
 * Who the client is: its address as the proxy saw it or as a trusted PROXY protocol header told.
 *
 * @param sessionId short id that ties log lines of one session together
 * @param listener name of the listener the client connected to
 */
public record ClientInfo(String sessionId, String listener, InetSocketAddress address) {

    public String ip() {
        return address.getAddress().getHostAddress();
    }
}
