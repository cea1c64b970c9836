package io.sluice.proxy.egress;

import static net.logstash.logback.argument.StructuredArguments.kv;

import io.sluice.proxy.relay.HopSession;
import io.sluice.proxy.relay.NextHop;
import io.sluice.proxy.relay.NextHops;
import io.sluice.proxy.session.ClientInfo;
import io.sluice.proxy.smtp.SmtpReply;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The next hops of an outbound listener's sessions: remote mail exchangers, for the clients allowed to relay. */
final class MxHops implements NextHops {

    private static final Logger log = LoggerFactory.getLogger(MxHops.class);

    // RFC 3463 X.7.1: delivery not authorised.
    static final SmtpReply CLIENT_NOT_ALLOWED = SmtpReply.of(554, "5.7.1", "Access denied: relaying not permitted");

    private final OutboundContext context;

    MxHops(OutboundContext context) {
        this.context = context;
    }

    /** Never an open relay: a client not allowed is refused before anything else is spent on it. */
    @Override
    public Optional<SmtpReply> refuse(ClientInfo client) {
        if (context.allows(client.address().getAddress())) {
            return Optional.empty();
        }
        log.info("client not allowed to relay", kv("session", client.sessionId()), kv("listener", client.listener()),
                kv("client_ip", client.ip()));
        return Optional.of(CLIENT_NOT_ALLOWED);
    }

    @Override
    public NextHop forSession(HopSession session) {
        return new MxHop(context, session);
    }
}
