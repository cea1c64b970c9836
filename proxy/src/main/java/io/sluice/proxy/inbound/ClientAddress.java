package io.sluice.proxy.inbound;

import java.net.InetSocketAddress;

/** Pipeline event: the client's address is known (from a trusted PROXY protocol header); the session may start. */
record ClientAddress(InetSocketAddress address) {}
