package io.sluice.proxy.inbound;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes a connection, without a banner, as soon as its first octets cannot begin a PROXY header, rather than
 * leaving it to the header timeout; once they are a whole signature it leaves the pipeline and the decoder
 * behind it reads the rest. The decoder alone waits for 13 octets before it looks.
 */
final class ProxySignature extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(ProxySignature.class);

    // HAProxy's PROXY protocol specification: section 2.1 (v1, "PROXY" and a space) and 2.2 (v2's 12 octets).
    private static final byte[] V1 = "PROXY ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] V2 = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

    // The signature the first octet chose (they differ there), and how many of its octets have arrived.
    private byte[] signature;
    private int matched;
    private boolean refused;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (refused) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (!(msg instanceof ByteBuf bytes)) {
            ctx.fireChannelRead(msg);
            return;
        }
        for (int i = bytes.readerIndex(); i < bytes.writerIndex(); i++) {
            byte octet = bytes.getByte(i);
            if (signature == null) {
                signature = octet == V1[0] ? V1 : octet == V2[0] ? V2 : null;
            }
            if (signature == null || octet != signature[matched]) {
                refused = true;
                bytes.release();
                InetSocketAddress peer = (InetSocketAddress) ctx.channel().remoteAddress();
                log.info("not a PROXY header from {}: closed", peer.getAddress().getHostAddress());
                ctx.close();
                return;
            }
            if (++matched == signature.length) {
                ctx.pipeline().remove(this);
                break;
            }
        }
        ctx.fireChannelRead(bytes);
    }
}
