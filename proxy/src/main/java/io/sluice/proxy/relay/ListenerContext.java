package io.sluice.proxy.relay;

import io.netty.handler.ssl.SslContext;
import io.sluice.config.ListenerConfig;
import io.sluice.config.SmtpConfig;
import io.sluice.policy.eval.PolicyEngine;
import io.sluice.proxy.ListenerTls;
import io.sluice.proxy.session.SessionSettings;
import java.time.Duration;

/**
 * What every session of one listener shares, whatever its next hop.
 *
 * @param listener the listener's name
 * @param proxyProtocol whether the session waits for a {@link ClientAddress} from a PROXY header before it starts
 * @param commandTimeout RFC 5321 §4.5.3.2.7: the server's wait for the client's next command
 * @param tls the STARTTLS server context, or null when the listener has no certificate; a {@link ListenerTls}
 *     when configured, which the listener closes
 */
public record ListenerContext(String listener, boolean proxyProtocol, SessionSettings settings,
                              Duration commandTimeout, SslContext tls, PolicyEngine policy, TransactionMeters meters) {

    /**
     * The context of a configured listener, its series registered with the meters.
     *
     * @param maxTransactions the most MAIL commands a session may send
     */
    public static ListenerContext of(ListenerConfig listener, SmtpConfig smtp, int maxTransactions,
                                     PolicyEngine policy, TransactionMeters meters) throws Exception {
        // A renewed certificate in the listener's files is taken up while it runs.
        SslContext tls = listener.tls().isPresent()
                ? ListenerTls.start(listener.name(), listener.tls().get(), meters.registry(), ListenerTls.CHECK_INTERVAL)
                : null;
        meters.listener(listener.name());
        return new ListenerContext(listener.name(), listener.proxyProtocol().isPresent(),
                new SessionSettings(smtp.hostname(), smtp.maxMessageSize(), smtp.maxRecipients(), smtp.maxErrors(),
                        maxTransactions, tls != null),
                smtp.timeouts().command(), tls, policy, meters);
    }
}
