package io.sluice.proxy.egress;

import io.netty.handler.ssl.SslContext;
import io.sluice.config.Cidr;
import io.sluice.config.ListenerConfig;
import io.sluice.config.SmtpConfig;
import io.sluice.config.SmtpTimeouts;
import io.sluice.policy.eval.PolicyEngine;
import io.sluice.proxy.session.SessionSettings;
import io.sluice.proxy.session.TransactionMeters;
import java.net.InetAddress;

/**
 * What every session of one outbound listener shares: its settings, its egress pool, the resolver, the screen of
 * forbidden destinations and the connector to remote mail exchangers, its TLS context and the flow-control policy.
 *
 * @param tls the STARTTLS server context, or null when the listener has no certificate
 */
record OutboundContext(ListenerConfig listener, SmtpConfig smtp, EgressPool pool, MxResolver resolver,
                       DestinationScreen destinations, RemoteConnector connector, SslContext tls, PolicyEngine policy,
                       TransactionMeters meters) {

    // No cap on transactions: the relay's clients are the platform's own MTAs (allowed-clients), and a 421 in the
    // middle of their connection reuse would only defer a message to their next queue run.
    SessionSettings settings() {
        return new SessionSettings(smtp.hostname(), smtp.maxMessageSize(), smtp.maxRecipients(), smtp.maxErrors(),
                Integer.MAX_VALUE, tls != null);
    }

    SmtpTimeouts timeouts() {
        return smtp.timeouts();
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
