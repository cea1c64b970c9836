package io.sluice.policy.model;

import java.net.InetAddress;
import java.util.Locale;
import java.util.Objects;

/**
 * What is known about a session at the moment a limit is asked; later facts are null until known.
 *
 * @param listener the listener the client connected to
 * @param clientIp the client's address (from the PROXY header where trusted)
 * @param helo the HELO/EHLO name
 * @param sender the envelope sender's address; empty for the null sender {@code <>}
 * @param declaredSize the SIZE declared at MAIL, or 0
 * @param recipient the recipient's address
 * @param egressPool outbound: the egress pool chosen
 * @param egressSource outbound: the source address chosen
 * @param backendServer inbound: the backend server a connection is being opened to, as {@code pool/host:port}
 * @param destinationSite outbound: the destination site of the message, by its MX hosts
 */
public record Facts(String listener, InetAddress clientIp, String helo, String sender, long declaredSize,
                    String recipient, String egressPool, String egressSource, String backendServer,
                    String destinationSite) {

    public Facts {
        Objects.requireNonNull(listener, "listener");
        Objects.requireNonNull(clientIp, "clientIp");
    }

    /** Facts of no destination site. */
    public Facts(String listener, InetAddress clientIp, String helo, String sender, long declaredSize,
                 String recipient, String egressPool, String egressSource, String backendServer) {
        this(listener, clientIp, helo, sender, declaredSize, recipient, egressPool, egressSource, backendServer, null);
    }

    public static Facts connect(String listener, InetAddress clientIp) {
        return new Facts(listener, clientIp, null, null, 0, null, null, null, null, null);
    }

    public Facts withHelo(String name) {
        return new Facts(listener, clientIp, name, sender, declaredSize, recipient, egressPool, egressSource,
                backendServer, destinationSite);
    }

    public Facts withSender(String address, long size) {
        return new Facts(listener, clientIp, helo, address, size, null, egressPool, egressSource, backendServer,
                destinationSite);
    }

    public Facts withRecipient(String address) {
        return new Facts(listener, clientIp, helo, sender, declaredSize, address, egressPool, egressSource,
                backendServer, destinationSite);
    }

    public Facts withEgress(String pool, String source) {
        return new Facts(listener, clientIp, helo, sender, declaredSize, recipient, pool, source, backendServer,
                destinationSite);
    }

    /** Outbound: the egress pool, source address and destination site chosen for the transaction. */
    public Facts withEgress(String pool, String source, String site) {
        return new Facts(listener, clientIp, helo, sender, declaredSize, recipient, pool, source, backendServer, site);
    }

    public Facts withBackendServer(String server) {
        return new Facts(listener, clientIp, helo, sender, declaredSize, recipient, egressPool, egressSource, server,
                destinationSite);
    }

    /** The pair of source address and destination site, as {@code source|site}; null until both are known. */
    public String sourceSite() {
        return egressSource == null || destinationSite == null ? null : egressSource + "|" + destinationSite;
    }

    /** The domain of the sender, lower case; empty for the null sender; null before MAIL. */
    public String senderDomain() {
        return domainOf(sender);
    }

    /** The domain of the recipient, lower case; null before RCPT. */
    public String recipientDomain() {
        return domainOf(recipient);
    }

    private static String domainOf(String address) {
        if (address == null) {
            return null;
        }
        int at = address.lastIndexOf('@');
        return at < 0 ? "" : address.substring(at + 1).toLowerCase(Locale.ROOT);
    }
}
