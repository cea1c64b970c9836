package io.sluice.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import io.sluice.config.EgressTls;
import io.sluice.proxy.egress.TestDnsServer;
import io.sluice.testing.TestPorts;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * A remote MX that answers STARTTLS with its 220 and, in the same packet, a forged reply (response injection): the
 * forged reply came in clear and must not count as an answer over TLS.
 */
class ResponseInjectionTest {

    @Test
    void whatTheRemoteSendsInClearAfterItsStartTls220IsDropped() throws Exception {
        int port = TestPorts.freeOnEveryAddress();
        SelfSignedCertificate certificate = new SelfSignedCertificate("mx.a.test");
        EventLoopGroup group = new NioEventLoopGroup(1);
        try (TestDnsServer dns = TestDnsServer.start()
                     .mx("a.test", 300, 10, "mx.a.test").address("mx.a.test", 300, "127.0.0.2")) {
            InjectingMx mx = new InjectingMx(SslContextBuilder.forServer(certificate.certificate(),
                    certificate.privateKey()).build());
            Channel server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childHandler(mx).bind("127.0.0.2", port).sync().channel();
            try (RunningOutbound sluice = RunningOutbound.resolvingWith(dns.hostPort(), port)
                         .tls(EgressTls.OPPORTUNISTIC).start();
                 RawSmtpClient client = new RawSmtpClient(sluice.port())) {
                assertThat(client.reply()).startsWith("220 ");
                assertThat(client.command("EHLO mta.example")).startsWith("250 ");
                assertThat(client.command("MAIL FROM:<a@example.org>")).startsWith("250 ");
                assertThat(client.command("RCPT TO:<user@a.test>")).startsWith("250 2.1.5 Recipient ok over TLS");
                assertThat(client.command("DATA")).startsWith("354 ");
                assertThat(client.command("Subject: injected?\r\n\r\nbody\r\n.")).startsWith("250 2.0.0 Queued");

                // Every command after STARTTLS came over TLS and got its own answer, EHLO first.
                assertThat(mx.overTls).startsWith("EHLO out0.sluice.test", "MAIL FROM:<a@example.org>",
                        "RCPT TO:<user@a.test>", "DATA");
            } finally {
                server.close().sync();
            }
        } finally {
            group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).sync();
            certificate.delete();
        }
    }

    /** A scripted SMTP server that injects a reply after its STARTTLS 220; records the commands read over TLS. */
    private static final class InjectingMx extends ChannelInitializer<SocketChannel> {

        private final SslContext tls;
        final List<String> overTls = new CopyOnWriteArrayList<>();

        InjectingMx(SslContext tls) {
            this.tls = tls;
        }

        @Override
        protected void initChannel(SocketChannel channel) {
            channel.pipeline().addLast(new LineBasedFrameDecoder(1000, true, false)).addLast(new Script());
        }

        private final class Script extends SimpleChannelInboundHandler<ByteBuf> {
            private boolean secure;
            private boolean inData;

            @Override
            public void channelActive(ChannelHandlerContext ctx) {
                send(ctx, "220 mx.a.test ESMTP\r\n");
            }

            @Override
            protected void channelRead0(ChannelHandlerContext ctx, ByteBuf frame) {
                String line = frame.toString(StandardCharsets.US_ASCII).replace("\r", "");
                if (secure && !inData) {
                    overTls.add(line);
                }
                if (inData) {
                    if (line.equals(".")) {
                        inData = false;
                        send(ctx, "250 2.0.0 Queued\r\n");
                    }
                } else if (line.startsWith("EHLO")) {
                    send(ctx, secure ? "250 mx.a.test\r\n" : "250-mx.a.test\r\n250 STARTTLS\r\n");
                } else if (line.equals("STARTTLS")) {
                    // The forged reply rides in the same packet as the 220, in clear.
                    send(ctx, "220 2.0.0 Ready to start TLS\r\n250 2.1.5 Forged recipient ok\r\n");
                    ctx.pipeline().addFirst(new SslHandler(tls.newEngine(ctx.alloc())));
                    secure = true;
                } else if (line.startsWith("MAIL")) {
                    send(ctx, "250 2.1.0 Sender ok\r\n");
                } else if (line.startsWith("RCPT")) {
                    send(ctx, secure ? "250 2.1.5 Recipient ok over TLS\r\n" : "250 2.1.5 Recipient ok in clear\r\n");
                } else if (line.equals("DATA")) {
                    inData = true;
                    send(ctx, "354 Go ahead\r\n");
                } else if (line.equals("QUIT")) {
                    send(ctx, "221 2.0.0 Bye\r\n");
                    ctx.close();
                } else {
                    send(ctx, "502 5.5.1 Not implemented\r\n");
                }
            }

            private void send(ChannelHandlerContext ctx, String text) {
                ctx.writeAndFlush(Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII));
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                ctx.close();
            }
        }
    }
}
