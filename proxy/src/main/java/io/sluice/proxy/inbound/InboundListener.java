package io.sluice.proxy.inbound;

import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import io.sluice.config.ListenerConfig;
import io.sluice.config.SmtpConfig;
import io.sluice.policy.eval.PolicyEngine;
import io.sluice.proxy.ListeningSocket;
import io.sluice.proxy.Transport;
import io.sluice.proxy.lifecycle.ClientSessions;
import io.sluice.proxy.session.TransactionMeters;
import java.io.IOException;
import java.net.InetSocketAddress;

/** A listening socket of role {@code inbound}: the MX front-end that relays to a backend pool. */
final class InboundListener implements AutoCloseable {

    private final ListenerConfig config;
    private final ListeningSocket socket;

    private InboundListener(ListenerConfig config, ListeningSocket socket) {
        this.config = config;
        this.socket = socket;
    }

    /** Binds the listener; sessions and backend connections run on {@code workers}. */
    static InboundListener bind(ListenerConfig config, SmtpConfig smtp, BackendConnector connector,
                                SslContext serverTls, PolicyEngine policy, TransactionMeters meters,
                                ClientSessions clients, Transport transport, EventLoopGroup workers)
            throws InterruptedException, IOException {
        meters.listener(config.name());
        InboundContext context = new InboundContext(config, smtp, connector, serverTls, policy, meters);
        return new InboundListener(config, ListeningSocket.bind(transport, workers, config.bind(),
                new InboundChannelInitializer(context, clients)));
    }

    String name() {
        return config.name();
    }

    InetSocketAddress localAddress() {
        return socket.localAddress();
    }

    @Override
    public void close() {
        socket.close();
    }
}
