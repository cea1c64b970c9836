package io.sluice.proxy.egress;

import io.sluice.config.Cidr;
import io.sluice.config.ListenerConfig;
import io.sluice.config.SmtpConfig;
import io.sluice.config.SmtpTimeouts;
import io.sluice.proxy.egress.tls.TlsPolicies;
import io.sluice.proxy.relay.TransactionMeters;
import io.sluice.proxy.smtp.ServerCapabilities;
import io.sluice.proxy.smtp.SmtpReply;
import java.net.InetAddress;
import java.util.List;

/**
 * What the next hops of one outbound listener share: its egress pool, the resolver, the screen of forbidden
 * destinations, the connector to remote mail exchangers, the meters of deliveries by source, and the TLS policies.
 */
record OutboundContext(ListenerConfig listener, SmtpConfig smtp, EgressPool pool, MxResolver resolver,
                       DestinationScreen destinations, RemoteConnector connector, TransactionMeters meters,
                       TlsPolicies tls) {

    SmtpTimeouts timeouts() {
        return smtp.timeouts();
    }

    /** Sluice's own answer to the MTA's EHLO: what the remote path can honour whatever the remote is. */
    SmtpReply localEhlo() {
        // 8BITMIME is sent on as is ("just send 8").
        return new SmtpReply(250, List.of(smtp.hostname(), "PIPELINING", "8BITMIME"));
    }

    ServerCapabilities offered() {
        return ServerCapabilities.fromEhlo(localEhlo());
    }

    /** Whether the client may relay through this listener: never an open relay. */
    boolean allows(InetAddress client) {
        for (Cidr network : listener.allowedClients()) {
            if (network.contains(client)) {
                return true;
            }
        }
        return false;
    }
}
