package io.sluice.proxy.egress;

import io.sluice.proxy.smtp.SmtpClientConnection;
import java.net.InetAddress;
import java.time.Duration;

/** One SMTP connection to a remote mail exchanger, from a source address of an egress pool. */
final class RemoteConnection extends SmtpClientConnection {

    private final MxHost host;
    private final InetAddress address;
    private final SourceAddress source;
    private boolean tls;

    RemoteConnection(MxHost host, InetAddress address, SourceAddress source, Duration dataBlockTimeout) {
        super(host.name() + "[" + address.getHostAddress() + "]", dataBlockTimeout);
        this.host = host;
        this.address = address;
        this.source = source;
    }

    MxHost host() {
        return host;
    }

    InetAddress address() {
        return address;
    }

    SourceAddress source() {
        return source;
    }

    boolean tls() {
        return tls;
    }

    void tlsStarted() {
        tls = true;
    }
}
