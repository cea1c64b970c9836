package io.sluice.proxy.inbound;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import io.sluice.config.ListenerConfig;
import io.sluice.config.SmtpConfig;
import io.sluice.policy.eval.PolicyEngine;
import io.sluice.proxy.Transport;
import io.sluice.proxy.lifecycle.ClientSessions;
import io.sluice.proxy.session.TransactionMeters;
import java.net.InetSocketAddress;

/** A listening socket of role {@code inbound}: the MX front-end that relays to a backend pool. */
final class InboundListener implements AutoCloseable {

    private final ListenerConfig config;
    private final Channel channel;

    private InboundListener(ListenerConfig config, Channel channel) {
        this.config = config;
        this.channel = channel;
    }

    /** Binds the listener; sessions and backend connections run on {@code workers}. */
    static InboundListener bind(ListenerConfig config, SmtpConfig smtp, BackendConnector connector,
                                SslContext serverTls, PolicyEngine policy, TransactionMeters meters,
                                ClientSessions clients, Transport transport, EventLoopGroup boss,
                                EventLoopGroup workers) throws InterruptedException {
        meters.listener(config.name());
        InboundContext context = new InboundContext(config, smtp, connector, serverTls, policy, meters);
        Channel channel = new ServerBootstrap()
                .group(boss, workers)
                .channel(transport.serverChannelClass())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                // No TCP_NODELAY here: Netty sets it on every socket already, and setting it again costs a call.
                .childHandler(new InboundChannelInitializer(context, clients))
                .bind(config.bind().host(), config.bind().port())
                .sync()
                .channel();
        return new InboundListener(config, channel);
    }

    String name() {
        return config.name();
    }

    InetSocketAddress localAddress() {
        return (InetSocketAddress) channel.localAddress();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
    }
}
