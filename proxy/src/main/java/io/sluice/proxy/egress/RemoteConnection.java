package io.sluice.proxy.egress;

import io.sluice.proxy.smtp.SmtpClientConnection;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;

/**
 * One SMTP connection to a remote mail exchanger, from a source address of an egress pool, to one destination site;
 * it may be kept for the next transaction to the site once the remote's transaction is over.
 */
final class RemoteConnection extends SmtpClientConnection {

    private final MxHost host;
    private final InetAddress address;
    private final SourceAddress source;
    private final String site;
    private boolean tls;
    private boolean verified;
    private boolean dane;

    RemoteConnection(MxHost host, InetAddress address, SourceAddress source, String site, Duration dataBlockTimeout) {
        super(host.name() + "[" + address.getHostAddress() + "]", dataBlockTimeout);
        this.host = host;
        this.address = address;
        this.source = source;
        this.site = site;
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

    /** The destination site the connection was opened to, whose slots it holds while open. */
    String site() {
        return site;
    }

    /** Where it is kept between transactions: per source address and MX host. */
    Key key() {
        return new Key(source, host.name());
    }

    boolean tls() {
        return tls;
    }

    /** Whether the remote's certificate was verified for its host name. */
    boolean verified() {
        return verified;
    }

    /** TLS is up; whether the certificate was verified is for {@link #verifiedAs} to say. */
    void tlsStarted() {
        tls = true;
    }

    /** The certificate was checked after the handshake: valid for the host name or not. */
    void verifiedAs(boolean verifiedHost) {
        verified = verifiedHost;
    }

    /** Whether the remote's chain matched its MX host's TLSA records (RFC 7672) when TLS started. */
    boolean dane() {
        return dane;
    }

    void daneVerified() {
        dane = true;
    }

    /** The source address and MX host a kept connection is found by. */
    record Key(SourceAddress source, String host) {}
}
