package io.sluice.proxy.inbound;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolException;
import io.netty.util.NetUtil;
import io.netty.util.ReferenceCountUtil;
import io.sluice.config.Cidr;
import io.sluice.config.ProxyProtocolConfig;
import io.sluice.proxy.relay.ClientAddress;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Accepts a PROXY protocol header (decoded by Netty's {@code HAProxyMessageDecoder} just before this
 * handler) only from trusted load balancers, and announces the real client address. A connection from
 * elsewhere, or without a valid header in time, or with a malformed one, is closed without a banner.
 */
final class ProxyHeaderHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(ProxyHeaderHandler.class);
    // Room for the TLVs a balancer adds (F5 and HAProxy send a few), far short of the 64 KiB v2 maximum.
    private static final int MAX_PROXY_TLV_SIZE = 4096;

    private final ProxyProtocolConfig config;
    private ScheduledFuture<?> timeout;
    private InetSocketAddress peer;

    ProxyHeaderHandler(ProxyProtocolConfig config) {
        this.config = config;
    }

    /**
     * Adds the handlers that read a PROXY header, {@code proxy-signature}, {@code proxy-decoder} and
     * {@code proxy-header}; they fire a {@link ClientAddress} once it is read, and all leave the pipeline then.
     */
    static void install(ChannelPipeline pipeline, ProxyProtocolConfig proxy) {
        pipeline.addLast("proxy-signature", new ProxySignature())
                .addLast("proxy-decoder", new HAProxyMessageDecoder(MAX_PROXY_TLV_SIZE))
                .addLast("proxy-header", new ProxyHeaderHandler(proxy));
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        peer = (InetSocketAddress) ctx.channel().remoteAddress();
        if (!isTrusted(peer.getAddress())) {
            log.debug("PROXY header refused from untrusted {}", peer.getAddress().getHostAddress());
            ctx.close();
            return;
        }
        timeout = ctx.executor().schedule(() -> {
            log.debug("no PROXY header from {} within {}", peer.getAddress().getHostAddress(), config.timeout());
            ctx.close();
        }, config.timeout().toMillis(), TimeUnit.MILLISECONDS);
        ctx.fireChannelActive();
        ctx.read();
    }

    private boolean isTrusted(InetAddress address) {
        for (Cidr cidr : config.trusted()) {
            if (cidr.contains(address)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof HAProxyMessage header)) {
            ctx.fireChannelRead(msg);
            return;
        }
        try {
            timeout.cancel(false);
            InetSocketAddress client = clientAddress(header, (InetSocketAddress) ctx.channel().remoteAddress());
            ctx.pipeline().remove(this);
            ctx.fireUserEventTriggered(new ClientAddress(client));
        } finally {
            ReferenceCountUtil.release(header);
        }
    }

    /** The proxied client; for LOCAL (the balancer's own health check) and unknown families, the peer itself. */
    private static InetSocketAddress clientAddress(HAProxyMessage header, InetSocketAddress peer) {
        if (header.command() != HAProxyCommand.PROXY || header.sourceAddress() == null) {
            return peer;
        }
        // Literal parsing only: a header never triggers a name lookup.
        byte[] literal = NetUtil.createByteArrayFromIpAddressString(header.sourceAddress());
        if (literal == null) {
            return peer;
        }
        try {
            return new InetSocketAddress(InetAddress.getByAddress(literal), header.sourcePort());
        } catch (java.net.UnknownHostException e) {
            return peer;
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!(cause instanceof HAProxyProtocolException)) {
            ctx.fireExceptionCaught(cause);
            return;
        }
        // The decoder has closed the connection already: a malformed header is the sender's fault, not an
        // operator's, so no stack trace and no WARN.
        log.info("bad PROXY header from {}: {}", peer.getAddress().getHostAddress(), cause.getMessage());
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (timeout != null) {
            timeout.cancel(false);
        }
        ctx.fireChannelInactive();
    }
}
