package io.sluice.proxy.inbound;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.sluice.proxy.lifecycle.ClientSessions;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.sluice.config.ProxyProtocolConfig;
import io.sluice.proxy.smtp.SmtpFrameDecoder;

/**
 * Builds the pipeline of an inbound client connection. In order from the socket:
 * <ol>
 *   <li>{@code tls}: {@code SslHandler}, added first on STARTTLS;</li>
 *   <li>{@code proxy-signature}, {@code proxy-decoder}, {@code proxy-header}: PROXY protocol v1/v2 from trusted
 *       balancers only (listeners with {@code proxy-protocol}); all leave the pipeline once the header is read;</li>
 *   <li>{@code framer}: strict CRLF framing of commands and message content, and read control;</li>
 *   <li>{@code session}: the SMTP session, which relays to a backend.</li>
 * </ol>
 * Replies are written as bytes straight from the session; no encoder is needed.
 */
final class InboundChannelInitializer extends ChannelInitializer<SocketChannel> {

    // Room for the TLVs a balancer adds (F5 and HAProxy send a few), far short of the 64 KiB v2 maximum.
    private static final int MAX_PROXY_TLV_SIZE = 4096;

    private final InboundContext context;
    private final ClientSessions clients;

    InboundChannelInitializer(InboundContext context, ClientSessions clients) {
        this.context = context;
        this.clients = clients;
    }

    @Override
    protected void initChannel(SocketChannel channel) {
        // The group forgets the channel when it closes; the drain reaches every session through it.
        clients.add(channel);
        ChannelPipeline pipeline = channel.pipeline();
        context.listener().proxyProtocol().ifPresent(proxy -> addProxyHeader(pipeline, proxy));
        pipeline.addLast("framer", new SmtpFrameDecoder(context.smtp().bareLineEndings()));
        pipeline.addLast("session", new ClientSessionHandler(context));
    }

    /** The handlers that read a PROXY header; they fire a {@link ClientAddress} once it is read. */
    static void addProxyHeader(ChannelPipeline pipeline, ProxyProtocolConfig proxy) {
        pipeline.addLast("proxy-signature", new ProxySignature())
                .addLast("proxy-decoder", new HAProxyMessageDecoder(MAX_PROXY_TLV_SIZE))
                .addLast("proxy-header", new ProxyHeaderHandler(proxy));
    }
}
