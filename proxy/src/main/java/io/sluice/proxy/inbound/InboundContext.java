package io.sluice.proxy.inbound;

import io.sluice.config.SmtpTimeouts;

/** What the next hops of one inbound listener share: its backend pool's connector and the SMTP timeouts. */
record InboundContext(BackendConnector connector, SmtpTimeouts timeouts) {

    boolean xclientEnabled() {
        return connector.pool().config().xclient();
    }
}
