package io.sluice.proxy.inbound;

import io.netty.handler.ssl.SslContext;
import io.sluice.config.ListenerConfig;
import io.sluice.config.SmtpConfig;
import io.sluice.config.SmtpTimeouts;
import io.sluice.policy.eval.PolicyEngine;
import io.sluice.proxy.session.SessionSettings;
import io.sluice.proxy.session.TransactionMeters;

/**
 * What every session of one inbound listener shares: its settings, its backends, its TLS context and the
 * flow-control policy.
 *
 * @param tls the STARTTLS server context, or null when the listener has no certificate
 */
record InboundContext(ListenerConfig listener, SmtpConfig smtp, BackendConnector connector, SslContext tls,
                      PolicyEngine policy, TransactionMeters meters) {

    SessionSettings settings() {
        return new SessionSettings(smtp.hostname(), smtp.maxMessageSize(), smtp.maxRecipients(), smtp.maxErrors(),
                smtp.maxTransactions(), tls != null);
    }

    SmtpTimeouts timeouts() {
        return smtp.timeouts();
    }

    boolean xclientEnabled() {
        return connector.pool().config().xclient();
    }
}
