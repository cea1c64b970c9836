package io.sluice.proxy.relay;

import java.net.InetSocketAddress;

/** Pipeline event: the client's address is known (from a trusted PROXY protocol header); the session may start. */
public record ClientAddress(InetSocketAddress address) {}
