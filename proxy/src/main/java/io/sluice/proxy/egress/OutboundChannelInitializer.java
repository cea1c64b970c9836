package io.sluice.proxy.egress;

import io.netty.channel.ChannelInitializer;
import io.sluice.proxy.lifecycle.ClientSessions;
import io.netty.channel.socket.SocketChannel;
import io.sluice.proxy.smtp.SmtpFrameDecoder;

/**
 * Builds the pipeline of an MTA's connection to an outbound listener. In order from the socket: {@code tls}
 * ({@code SslHandler}, added first on STARTTLS); {@code framer}, strict CRLF framing and read control; {@code
 * session}, the SMTP session that delivers to the remote MX. Replies are written as bytes from the session.
 */
final class OutboundChannelInitializer extends ChannelInitializer<SocketChannel> {

    private final OutboundContext context;
    private final ClientSessions clients;

    OutboundChannelInitializer(OutboundContext context, ClientSessions clients) {
        this.context = context;
        this.clients = clients;
    }

    @Override
    protected void initChannel(SocketChannel channel) {
        // The group forgets the channel when it closes; the drain reaches every session through it.
        clients.add(channel);
        channel.pipeline()
                .addLast("framer", new SmtpFrameDecoder(context.smtp().bareLineEndings()))
                .addLast("session", new OutboundSessionHandler(context));
    }
}
